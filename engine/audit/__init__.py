"""History that can be trusted: the append-only event log and its hash chains, replay, reports and exports."""
