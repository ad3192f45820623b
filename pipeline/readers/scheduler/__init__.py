"""Scheduler readers, filling raw_slurm_jobs and raw_k8s_pods: Slurm sacct, Kubernetes pods (JSON
and CSV), and the MIG share both count GPUs by."""
