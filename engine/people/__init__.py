"""Who may do what: users, roles and offices, the policy, tokens, passwords and the login throttle."""
