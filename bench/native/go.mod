module x509bench/native

go 1.19
