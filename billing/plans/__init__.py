"""Payment plans: quotes, setting up and ending plans (``rules``), the installment
scheduler (``scheduler``), what a charge came to (``installment_outcomes``), plans kept to
what their invoices still owe (``payoff``), and ``listeners``, through which a plan learns
that its installment was paid or failed."""
