-- Kubernetes pods, as read from pod inventories (`kubectl get pods -A -o json`, or the flat CSV
-- form). Grain: one pod as seen in one file. node NULL / start_utc NULL: not scheduled / not
-- started (pending); end_utc NULL: still running when the inventory was taken. gpus: the GPUs the
-- pod holds on its node (a MIG slice <N>g.<M>gb counts N/7). labels: the pod's labels as a JSON
-- object; phase, model, team: what its wattprint.io/phase|model|team (or plain phase|model|team)
-- labels say. Times in UTC.
CREATE TABLE IF NOT EXISTS raw_k8s_pods (
    source_path VARCHAR NOT NULL,
    line        BIGINT NOT NULL,
    namespace   VARCHAR NOT NULL,
    pod         VARCHAR NOT NULL,
    uid         VARCHAR,
    node        VARCHAR,
    gpus        DOUBLE NOT NULL,
    start_utc   TIMESTAMP,
    end_utc     TIMESTAMP,
    pod_phase   VARCHAR,
    labels      VARCHAR,
    phase       VARCHAR,
    model       VARCHAR,
    team        VARCHAR
);
