"""The serving readers: hourly requests and tokens per model and deployment (raw_serving), and
per-request logs, one record per request (raw_requests)."""
