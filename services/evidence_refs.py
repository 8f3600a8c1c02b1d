"""A self-assessment's references to stored evidence files (`kinerja://bukti/<sha256>`, domain.evidence) must name
files stored for that very appraisal: checked before the step is sent (services.steps), whoever sends it, so an
evidence list never points at a file nobody uploaded, or at another appraisal's."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from domain.access import AppraisalParties
from domain.errors import DomainError
from domain.evidence import referenced
from persistence.ports import AbstractUnitOfWork

UowFactory = Callable[[], AbstractUnitOfWork]


def check_references(
    uow_factory: UowFactory, parties: AppraisalParties, evidence: Iterable[tuple[str, Iterable[str]]]
) -> None:
    """`evidence`: (indicator id, its evidence links) per realisation. DomainError naming the realisation's `bukti`
    for a reference to a file this appraisal does not store."""
    wanted = [(indicator, sha) for indicator, links in evidence for link in links if (sha := referenced(link))]
    if not wanted:
        return
    with uow_factory() as uow:
        for indicator, sha in wanted:
            if uow.evidence.get(parties.cycle_id, parties.employee_nip, sha) is None:
                raise DomainError(
                    f"berkas bukti {sha[:12]}… tidak tersimpan pada penilaian ini; unggah berkasnya lebih dahulu",
                    field=f"realisasi[{indicator}].bukti",
                    rule="bukti merujuk berkas yang diunggah untuk penilaian ini",
                )
