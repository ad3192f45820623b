SELECT sha256 FROM ingest_manifest WHERE source_path = $source_path;
