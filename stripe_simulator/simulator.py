"""The simulator's parts that every endpoint shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from stripe_simulator.config import SimulatorConfig
from stripe_simulator.store import SimulatorState
from stripe_simulator.webhooks import WebhookDispatcher


@dataclass
class Simulator:
    config: SimulatorConfig
    state: SimulatorState = field(default_factory=SimulatorState)
    webhooks: WebhookDispatcher = field(init=False)

    def __post_init__(self) -> None:
        self.webhooks = WebhookDispatcher(self.config, self.state)
