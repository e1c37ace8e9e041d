"""The dashboard's first-run path: add a device, create an application, send a test."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    anchor: str  # the section of the dashboard that does this step


@dataclass(frozen=True)
class FirstRun:
    steps: list[Step]
    show: bool

    @property
    def done_count(self) -> int:
        return sum(s.done for s in self.steps)


def first_run(has_device: bool, has_app: bool, has_sent: bool, just_sent: bool) -> FirstRun:
    """The three steps and whether to show them: until all are done, and once more right
    after the last one, so the person sees the path completed."""
    steps = [
        Step("device", "Add a device to receive notifications", has_device, "#add-device"),
        Step("app", "Create an application to send from", has_app, "#new-app"),
        Step("test", "Send a test notification", has_sent, "#send-test"),
    ]
    complete = all(s.done for s in steps)
    return FirstRun(steps, show=not complete or just_sent)
