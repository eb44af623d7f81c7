/** The keystore worker: PKCS#12 extractions off the event loop (see pkcs12_job.ts). */
import { serveJobs } from "../worker.ts";
import { extractPkcs12Certificates } from "./pkcs12.ts";
import { type Pkcs12Job, runPkcs12Job } from "./pkcs12_job.ts";

serveJobs((job: Pkcs12Job) => runPkcs12Job(extractPkcs12Certificates, job));
