"""The phases of bench/year.py, in order, and the compressed calendar they run on."""

from __future__ import annotations

import argparse
import math
import sys
import time

PHASES = (
    "setup",
    "floor",
    "enrol",
    "skp",
    "late",
    "self-assessment",
    "survey",
    "review",
    "calibration",
    "closing",
    "report",
)


def progress(text_: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text_}", file=sys.stderr, flush=True)


# --- the calendar ---------------------------------------------------------------------------------------------------


def plan_calendar(args: argparse.Namespace, employees: int) -> dict[str, str]:
    """Offsets from the cycle's start, sized so that each phase fits before its deadline at `--rate` calls a second
    (times `--slack`): the enrolment, the SKP (three calls each), the late share's wait and catch-up, the
    self-assessment, the survey answers, the review, the calibration push, the sign-off, the objection window.

    A result's objection window opens when it is signed, during the push, and the driver acknowledges once the push
    is over: the window covers the push and the acknowledgements, or the first results signed would close on their
    own before anyone acknowledged them. The atasan's decision is due only for the share that objects."""
    n, r, s = employees, args.rate, args.slack
    enrol = n / args.first_task_rate + 30
    skp = 3 * n / r
    late = 60 + 3 * n * args.late / r
    one = n / r
    survey = args.answers_for(n) / args.answer_rate
    draft_due = s * (enrol + skp)
    skp_due = draft_due + s * late
    self_due = skp_due + s * one
    closes = self_due + s * survey + one / 2
    review_due = self_due + s * (survey + one)
    calibration_due = review_due + s * (n / args.push_rate + 60)
    sign_due = calibration_due + s * one

    def at(seconds: float) -> str:
        return f"PT{math.ceil(seconds)}S"

    return {
        "skp_draft_due": at(draft_due),
        "skp_due": at(skp_due),
        "survey_opens": "PT1S",
        "survey_closes": at(closes),
        "self_assessment_due": at(self_due),
        "review_due": at(review_due),
        "calibration_due": at(calibration_due),
        "sign_off_due": at(sign_due),
        "objection_window": at(s * (n / min(args.push_rate, r) + one + 60)),  # the push or the signing, the slower
        "objection_decision_due": at(s * (n * args.objections / r + 60)),
    }


def seconds_of(spec: str) -> float:
    return float(spec.removeprefix("PT").removesuffix("S"))
