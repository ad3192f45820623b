-- Whole-server power readings (BMC/IPMI/Redfish exports), as read. Grain: host × ts_utc. W.
CREATE TABLE IF NOT EXISTS raw_node_power (
    source_path   VARCHAR NOT NULL,
    line          BIGINT NOT NULL,
    host          VARCHAR NOT NULL,
    ts_utc        TIMESTAMP NOT NULL,
    node_power_w  DOUBLE NOT NULL
);
