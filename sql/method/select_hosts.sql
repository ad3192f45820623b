SELECT host, site, gpus FROM hosts ORDER BY host;
