"""``bato-desktop mirrors``: the ordered domain list, edited and probed without a new release.

Domains come and go in the Bato family (every 2025 domain was dead by February 2026), so the list
lives in the settings file and the app finds out by itself which API generation each domain
serves. Edits change the settings file only (never the ``BATO_API_URL`` override of one run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from typing import Any

from bato_desktop import paths
from bato_desktop import settings as settings_mod
from bato_desktop.engine.domains import DomainBook, DomainStatus, normalize_domain
from bato_desktop.settings import Settings, SettingsError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def add_parser(command: Any) -> None:
    """Register the sub-command (``command`` is the CLI's sub-parser factory)."""
    p = command(
        "mirrors", cmd_mirrors, "list, add, remove, reorder and probe the Bato-family domains"
    )
    p.add_argument(
        "action",
        nargs="?",
        default="list",
        choices=["list", "add", "remove", "move", "probe", "reset"],
    )
    p.add_argument("url", nargs="?", help="the domain (xcomic.me, https://comik.to ...)")
    p.add_argument(
        "position", nargs="?", type=int, help="move: the new place in the list, 1 = first"
    )
    p.add_argument("--at", type=int, metavar="N", help="add: put the domain at place N")
    p.add_argument("--json", action="store_true")


def cmd_mirrors(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "list":
        return _show(_statuses(settings.hosts), args.json, settings)
    if args.action == "probe":
        from bato_desktop.engine.context import open_client

        with open_client(settings) as client:
            statuses = client.probe(force=True)
        return _show(statuses, args.json, settings)
    try:
        return _edit(args)
    except SettingsError as exc:
        print(f"bato-desktop: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _edit(args: argparse.Namespace) -> int:
    stored = settings_mod.load(environ={})  # the file's own list, without BATO_API_URL
    hosts = list(stored.hosts)
    if args.action == "reset":
        hosts = list(settings_mod.DEFAULT_HOSTS)
    else:
        if not args.url:
            print(f"bato-desktop: mirrors {args.action} needs a domain", file=sys.stderr)
            return EXIT_USAGE
        domain = normalize_domain(args.url)
        if args.action == "add":
            if domain in hosts:
                print(f"{domain} is already in the list", file=sys.stderr)
                return EXIT_ERROR
            place = len(hosts) if args.at is None else max(0, min(args.at - 1, len(hosts)))
            hosts.insert(place, domain)
        elif domain not in hosts:
            print(f"{domain} is not in the list: {', '.join(hosts)}", file=sys.stderr)
            return EXIT_ERROR
        elif args.action == "remove":
            if len(hosts) == 1:
                print("bato-desktop: the last domain cannot be removed", file=sys.stderr)
                return EXIT_USAGE
            hosts.remove(domain)
        else:  # move
            if args.position is None:
                print("bato-desktop: mirrors move needs a position (1 = first)", file=sys.stderr)
                return EXIT_USAGE
            hosts.remove(domain)
            hosts.insert(max(0, min(args.position - 1, len(hosts))), domain)
    updated = replace(stored, hosts=tuple(hosts)).validate()
    settings_mod.save(updated)
    print(f"Domains ({paths.settings_file()}):")
    for index, host in enumerate(updated.hosts, start=1):
        print(f"  {index}. {host}")
    if os.environ.get("BATO_API_URL"):
        print(
            f"Note: BATO_API_URL={os.environ['BATO_API_URL']} replaces this list while it is set."
        )
    print("A running app picks the list up when its settings are saved or it restarts.")
    return EXIT_OK


def _statuses(hosts: tuple[str, ...]) -> list[DomainStatus]:
    """The last findings, from this machine's shared file: no request is sent."""
    return DomainBook(hosts, path=paths.domain_findings_file()).statuses()


def _show(statuses: list[DomainStatus], as_json: bool, settings: Settings) -> int:
    if as_json:
        print(
            json.dumps(
                [{"position": i, **s.to_json()} for i, s in enumerate(statuses, start=1)],
                indent=2,
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    print("Domains, in the order they are tried:")
    for index, status in enumerate(statuses, start=1):
        when = (
            f"  (as of {status.checked_at.astimezone():%Y-%m-%d %H:%M})"
            if status.checked_at
            else ""
        )
        print(f"  {index}. {status.summary()}{when}")
    print(f"Languages followed: {', '.join(settings.languages)}")
    return EXIT_OK
