"""The serving reader, filling raw_serving: hourly requests and tokens per model and deployment."""
