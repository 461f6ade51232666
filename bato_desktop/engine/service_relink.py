"""Serving a relink request from the GUI between two series."""

from __future__ import annotations

import logging

from bato_desktop.core.clock import utcnow as utcnow
from bato_desktop.core.errors import (
    RateLimited,
)
from bato_desktop.core.links import parse_link
from bato_desktop.engine.control import (
    RelinkRequest,
)
from bato_desktop.engine.events import (
    CycleProgress,
    RelinkFinished,
)
from bato_desktop.engine.service_base import ServiceBase

log = logging.getLogger(__name__)


class RelinkDuty(ServiceBase):
    def _serve_relink(self, request: RelinkRequest) -> None:
        """Search, then move what the request allows; the moved series are checked next (their
        first load on the new site, whose chapters of the time away go to one digest)."""
        from bato_desktop.engine import relink
        from bato_desktop.engine.domains import DomainState

        book = self._client.book
        if any(s.state is DomainState.UNKNOWN for s in book.statuses()):
            try:  # which catalogues are live, before searching
                self._client.probe(force=False)
            except RateLimited as exc:
                self.pause_everything(exc)
                self._events(RelinkFinished((), (), (), f"Relink not run: {exc}"))
                return
            book = self._client.book
        stranded = relink.stranded_series(self._repo, book)
        picked = [
            s
            for s in (self._repo.find_series(old) for old, _new in request.picks)
            if s is not None and s not in stranded
        ]

        def pause() -> bool:
            return self.control.wait(self.politeness_pause(), until_paused=True)

        def progress(done: int, total: int, name: str) -> None:
            self._events(
                CycleProgress(done, max(total, 1), f"Relink: searching {name}" if name else "")
            )

        plans = relink.plan_relinks(
            self._repo,
            self._client,
            stranded + picked,
            languages=self.settings.languages,
            pause=pause,
            progress=progress,
            on_429=self.pause_everything,
        )
        report = relink.ApplyReport()
        if request.apply_auto or request.picks:
            report = relink.apply_relinks(
                self._repo,
                plans,
                picks=dict(request.picks),
                apply_auto=request.apply_auto,
                now=self._clock(),
                resolve=lambda link: self._client.resolve(parse_link(link, check_host=False)),
            )
            for row in report.moved:
                self.control.request_check(row.old_link)
        found = sum(1 for p in plans if p.candidates)
        message = (
            f"Relink: {len(report.moved)} moved, {len(report.kept)} kept as they are"
            if request.apply_auto or request.picks
            else f"Relink: {len(plans)} stranded series, candidates found for {found}"
        )
        log.info("%s", message)
        self._events(RelinkFinished(tuple(plans), tuple(report.moved), tuple(report.kept), message))
