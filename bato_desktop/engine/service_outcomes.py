"""What a check that did not succeed writes: failures and their back-off, the shared 429
pause, offline and blocked (neither an error nor a back-off), no live domain, not stored."""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import timedelta

from bato_desktop.core.errors import BatoError, NoLiveDomain, RateLimited
from bato_desktop.core.states import ResultStatus, ScrapeType
from bato_desktop.db.repository import BLOCKED_PREFIX, OFFLINE_PREFIX, ScheduleConflict
from bato_desktop.engine.cycle_state import CheckJob
from bato_desktop.engine.events import EngineError, SeriesChecked, SeriesResult
from bato_desktop.engine.schedule_policy import CheckOutcome
from bato_desktop.engine.service_base import ServiceBase

log = logging.getLogger(__name__)

NO_DOMAIN_RETRY = timedelta(hours=6)


class CheckOutcomes(ServiceBase):
    def _failed(self, job: CheckJob, message: str) -> SeriesResult:
        return self._record_failure(job, message, ResultStatus.FAILED, CheckOutcome.FAILED)

    def _rate_limited(self, job: CheckJob, exc: RateLimited) -> SeriesResult:
        pause = self.pause_everything(exc)
        return self._record_failure(
            job, str(exc), ResultStatus.RATE_LIMITED, CheckOutcome.RATE_LIMITED, retry_after=pause
        )

    def _record_failure(
        self,
        job: CheckJob,
        message: str,
        status: ResultStatus,
        outcome: CheckOutcome,
        retry_after: float | None = None,
    ) -> SeriesResult:
        now = self._clock()
        duration = time.monotonic() - job.started
        link = job.bato_link
        log.error("Series %s %s: %s", link, status, message)
        with self._repo.atomic():
            details = self._repo.get_details(link)
            decision = self._plan(
                link, outcome, now, details.upload_status if details else None, retry_after
            )
            self._save_schedule(link, job.anilist_id, decision, now, status, message)
            self._repo.add_log(
                link,
                job.anilist_id,
                job.scrape_type,
                status,
                error_message=message,
                duration_seconds=duration,
                scraped_at=now,
            )
        result = SeriesResult(
            bato_link=link,
            name=details.name if details else link,
            status=status,
            scrape_type=job.scrape_type,
            error=message,
            duration_seconds=duration,
            next_check_at=decision.next_check_at,
            reason=decision.reason,
        )
        self._events(SeriesChecked(result))
        return result

    def _offline(
        self, job: CheckJob, exc: BatoError, *, status: ResultStatus = ResultStatus.OFFLINE
    ) -> SeriesResult:
        """No host answered, or every domain asks for a browser check: logged, but neither
        backed off nor counted as an error; the cycle ends and the series stay due."""
        if status is ResultStatus.BLOCKED:
            message = f"{BLOCKED_PREFIX} {exc}"
            reason = "blocked: checked again once a domain answers without a browser check"
            log.warning("Blocked (%s): the cycle stops; due series wait", exc)
        else:
            message = f"{OFFLINE_PREFIX} {exc}"
            reason = "offline: checked again when the network is back"
            log.warning("Offline (%s): the cycle stops; due series wait for the network", exc)
        self._repo.add_log(
            job.bato_link,
            job.anilist_id,
            job.scrape_type,
            ResultStatus.FAILED,
            error_message=message,
            duration_seconds=time.monotonic() - job.started,
            scraped_at=self._clock(),
        )
        self._repo.release_lease(job.bato_link, self.owner)  # still due: checked when back
        result = SeriesResult(
            bato_link=job.bato_link,
            name=self._display_name(job.bato_link),
            status=status,
            scrape_type=job.scrape_type,
            error=message,
            duration_seconds=time.monotonic() - job.started,
            reason=reason,
        )
        self._events(SeriesChecked(result))
        return result

    def _no_domain(self, job: CheckJob, exc: NoLiveDomain) -> SeriesResult:
        """No configured domain serves the series' catalogue: nothing was sent. The series
        is looked at again in a few hours (or when the domains change), not counted as an
        error: the site moved, the series did not fail."""
        when = self._clock() + NO_DOMAIN_RETRY
        reason = "no live domain serves its ids: add a domain or relink it"
        log.warning("Series %s not checked: %s", job.bato_link, exc)
        with contextlib.suppress(ScheduleConflict):  # a series without a schedule row
            self._repo.postpone_check(job.bato_link, when, reason)
        self._repo.release_lease(job.bato_link, self.owner)
        result = SeriesResult(
            bato_link=job.bato_link,
            name=self._display_name(job.bato_link),
            status=ResultStatus.SKIPPED,
            scrape_type=job.scrape_type,
            error=str(exc),
            next_check_at=when,
            reason=reason,
        )
        self._events(SeriesChecked(result))
        return result

    def _not_stored(self, job: CheckJob, problem: str) -> SeriesResult:
        """The answer could not be stored (a duplicate row, no schedule row): say so loudly."""
        message = f"could not be stored: {problem}"
        try:
            return self._failed(job, message)
        except ScheduleConflict:  # no schedule to back off: the log still tells
            self._repo.add_log(
                job.bato_link,
                job.anilist_id,
                job.scrape_type,
                ResultStatus.FAILED,
                error_message=message,
                scraped_at=self._clock(),
                duration_seconds=time.monotonic() - job.started,
            )
            self.report_error(EngineError(f"{job.bato_link} {message}"))
            result = SeriesResult(
                bato_link=job.bato_link,
                name=self._display_name(job.bato_link),
                status=ResultStatus.FAILED,
                scrape_type=job.scrape_type,
                error=message,
            )
            self._events(SeriesChecked(result))
            return result

    def _skipped(self, bato_link: str, why: str) -> SeriesResult:
        """A requested check that sent nothing; reported like a check so the GUI hears of it."""
        log.info("Check of %s not sent: %s", bato_link, why)
        result = SeriesResult(
            bato_link=bato_link,
            name=self._display_name(bato_link),
            status=ResultStatus.SKIPPED,
            scrape_type=ScrapeType.MANUAL,
            error=why,
        )
        self._events(SeriesChecked(result))
        return result
