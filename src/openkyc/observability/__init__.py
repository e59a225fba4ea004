"""Operations: health probes, Prometheus metrics, structured logs with job ids, outage answers."""
