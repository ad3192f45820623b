"""GPU telemetry readers, filling raw_gpu_samples: nvidia-smi CSV, DCGM exporter and Prometheus
text or JSON, telemetry Parquet; also the per-host GPU cap and the per-host telemetry summary."""
