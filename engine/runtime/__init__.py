"""Running instances: the stepping core and its SQL projection, tasks, timers, services, notices and the mail outbox."""
