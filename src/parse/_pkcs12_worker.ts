/** The keystore worker: PKCS#12 extractions off the event loop (see pkcs12_job.ts). */
import { serveJobs } from "../worker.ts";
import { extractPkcs12Here } from "./pkcs12_job.ts";

serveJobs(extractPkcs12Here);
