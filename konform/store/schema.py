"""The database schema and its migrations, versioned with ``PRAGMA user_version``.

Each migration is a list of statements applied in one transaction; a database is brought up to
the newest version when opened. Never edit a released migration: add the next one.
"""

from __future__ import annotations

import sqlite3

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE caller_ids (number TEXT PRIMARY KEY, label TEXT, added_at TEXT NOT NULL)",
        """CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            caller_id TEXT NOT NULL,
            purpose TEXT NOT NULL,
            calling_window TEXT NOT NULL,
            max_attempts INTEGER NOT NULL,
            retry_after TEXT NOT NULL,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE contacts (
            number TEXT PRIMARY KEY,
            name TEXT,
            region TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('b2c', 'b2b')),
            customer_until TEXT,
            basis TEXT,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE consents (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL,
            purpose TEXT NOT NULL,
            given_at TEXT NOT NULL,
            confirmed_at TEXT,
            revoked_at TEXT,
            source TEXT,
            UNIQUE (number, purpose, given_at))""",
        "CREATE INDEX consents_number ON consents (number)",
        "CREATE TABLE dnc_internal (key BLOB PRIMARY KEY, added_at TEXT NOT NULL) WITHOUT ROWID",
        "CREATE TABLE dnc_robinson (key BLOB PRIMARY KEY) WITHOUT ROWID",
        """CREATE TABLE list_imports (
            id INTEGER PRIMARY KEY,
            list TEXT NOT NULL,
            source TEXT NOT NULL,
            rows_added INTEGER NOT NULL,
            at TEXT NOT NULL)""",
        """CREATE TABLE call_attempts (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
            number_key BLOB NOT NULL,
            number TEXT,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            outcome TEXT,
            channel_id TEXT,
            detail TEXT)""",
        "CREATE INDEX call_attempts_number ON call_attempts (number_key, campaign_id)",
        """CREATE TABLE recordings (
            id INTEGER PRIMARY KEY,
            attempt_id INTEGER NOT NULL REFERENCES call_attempts (id),
            path TEXT NOT NULL,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            campaign TEXT,
            number_key TEXT,
            detail TEXT NOT NULL)""",
        """CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    ),
    (
        """CREATE TABLE campaign_contacts (
            campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
            number TEXT NOT NULL,
            added_at TEXT NOT NULL,
            done_at TEXT,
            PRIMARY KEY (campaign_id, number))""",
        "CREATE INDEX campaign_contacts_number ON campaign_contacts (number)",
    ),
    (
        # Consent as evidence (§ 7a UWG): append-only events, never overwritten. The plain
        # number goes with an erasure; the keyed row stays as the proof the law requires.
        """CREATE TABLE consent_events (
            id INTEGER PRIMARY KEY,
            number_key BLOB NOT NULL,
            number TEXT,
            purpose TEXT NOT NULL,
            event TEXT NOT NULL CHECK (event IN ('given', 'confirmed', 'revoked')),
            at TEXT NOT NULL,
            source TEXT,
            via TEXT,
            recorded_at TEXT NOT NULL,
            UNIQUE (number_key, purpose, event, at))""",
        "CREATE INDEX consent_events_number ON consent_events (number)",
        *(
            f"""INSERT INTO consent_events (number_key, number, purpose, event, at, source, via,
                                           recorded_at)
                SELECT CAST('migrate:' || number AS BLOB), number, purpose, '{event}', {column},
                       source, 'migration', {column}
                  FROM consents WHERE {column} IS NOT NULL"""
            for event, column in (
                ("given", "given_at"),
                ("confirmed", "confirmed_at"),
                ("revoked", "revoked_at"),
            )
        ),
        "DROP TABLE consents",
        """CREATE TRIGGER consent_events_no_update BEFORE UPDATE OF purpose, event, at,
            source ON consent_events
            BEGIN SELECT RAISE(ABORT, 'consent evidence is append-only'); END""",
        # The national do-not-call register of the Netherlands (Bel-me-niet), apart from
        # the German Robinson list.
        "CREATE TABLE dnc_belmeniet (key BLOB PRIMARY KEY) WITHOUT ROWID",
        # Numbers erased on request (GDPR Art. 17), keyed: a later import is reported.
        "CREATE TABLE erasures (key BLOB PRIMARY KEY, at TEXT NOT NULL) WITHOUT ROWID",
        # Files to delete once their erasure committed; a crash finishes them at the next start.
        """CREATE TABLE pending_deletions (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            why TEXT NOT NULL,
            queued_at TEXT NOT NULL)""",
        # Imports commit in batches; a run that did not finish says so and is run again.
        """CREATE TABLE import_runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            source TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            lines_done INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL CHECK (state IN ('running', 'done', 'aborted')))""",
        "ALTER TABLE campaigns ADD COLUMN jurisdiction TEXT NOT NULL DEFAULT 'de'",
        # How far a call got (ringing, answered, human, bridged): a restart resolves an attempt
        # without an outcome from it. ``source``: the dialer or an agent's manual dial.
        "ALTER TABLE call_attempts ADD COLUMN state TEXT",
        "ALTER TABLE call_attempts ADD COLUMN source TEXT NOT NULL DEFAULT 'dialer'",
        "CREATE INDEX call_attempts_open ON call_attempts (number_key) WHERE outcome IS NULL",
        # The audit log stays append-only; retention may delete rows older than the cutoff
        # it writes in the same transaction (and audits).
        "DROP TRIGGER audit_append_only_delete",
        """CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
            WHEN old.at >= coalesce(
                (SELECT value FROM meta WHERE key = 'audit_retention_cutoff'), '')
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    ),
    (
        # The campaign engine: pacing per campaign, priorities and best times per contact,
        # claims with a lease (several engines may share one store later), agents' states set
        # by operators, and the call's moments the report and the 72-hour rule read.
        "ALTER TABLE campaigns ADD COLUMN pacing TEXT NOT NULL DEFAULT 'progressive'"
        " CHECK (pacing IN ('progressive', 'predictive'))",
        "ALTER TABLE campaigns ADD COLUMN ratio REAL NOT NULL DEFAULT 1.0",
        "ALTER TABLE campaigns ADD COLUMN abandon_target REAL NOT NULL DEFAULT 0.03",
        "ALTER TABLE campaigns ADD COLUMN weight REAL NOT NULL DEFAULT 1.0",
        "ALTER TABLE campaigns ADD COLUMN paused_at TEXT",
        # Level 1 is called before level 2, and so on.
        "ALTER TABLE campaign_contacts ADD COLUMN priority INTEGER NOT NULL DEFAULT 5",
        # "Best time to call": local times of day (HH:MM) in the person's place.
        "ALTER TABLE contacts ADD COLUMN call_after TEXT",
        "ALTER TABLE contacts ADD COLUMN call_before TEXT",
        """CREATE TABLE claims (
            campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
            number TEXT NOT NULL,
            owner TEXT NOT NULL,
            lease_until TEXT NOT NULL,
            attempt_id INTEGER,
            PRIMARY KEY (campaign_id, number))""",
        # Agents' states as operators set them (ready, paused, logged_out); the phone's device
        # state and the calls the engine gives them are known to the running engine.
        """CREATE TABLE agent_states (
            name TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('ready', 'paused', 'logged_out')),
            since TEXT NOT NULL)""",
        # Intervals of each agent's states as the engine saw them: occupancy in the report.
        """CREATE TABLE agent_log (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            state TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT)""",
        # The report reads the intervals that end in its period or are still open.
        "CREATE INDEX agent_log_ended ON agent_log (ended_at)",
        "ALTER TABLE call_attempts ADD COLUMN answered_at TEXT",
        "ALTER TABLE call_attempts ADD COLUMN bridged_at TEXT",
        "ALTER TABLE call_attempts ADD COLUMN agent TEXT",
        # A person answered and no agent was bridged in time (the engine's definition).
        "ALTER TABLE call_attempts ADD COLUMN abandoned INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX call_attempts_campaign_time ON call_attempts (campaign_id, started_at)",
    ),
    (
        # The web console's accounts: roles, argon2id hashes (never a password), the agent's
        # phone an agent account works on, failed logins and the lockout they lead to.
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin', 'dpo')),
            password_hash TEXT NOT NULL,
            agent TEXT,
            created_at TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT)""",
        # Sessions: only a hash of the cookie's token is kept, with the session's CSRF token.
        """CREATE TABLE web_sessions (
            token_hash BLOB PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL)""",
        # What the agent's desk shows for a campaign: on whose behalf the call is made and the
        # script; whether the callee is asked for a rating after the talk.
        "ALTER TABLE campaigns ADD COLUMN client TEXT",
        "ALTER TABLE campaigns ADD COLUMN script TEXT",
        "ALTER TABLE campaigns ADD COLUMN csat INTEGER NOT NULL DEFAULT 0",
        # Per attempt: the callee's rating (1-5), the agent's disposition and note (personal
        # data: erased with the number), and the AMD stage that decided (first, guard).
        "ALTER TABLE call_attempts ADD COLUMN csat INTEGER CHECK (csat BETWEEN 1 AND 5)",
        "ALTER TABLE call_attempts ADD COLUMN disposition TEXT",
        "ALTER TABLE call_attempts ADD COLUMN note TEXT",
        "ALTER TABLE call_attempts ADD COLUMN amd_stage TEXT",
        # Requests from the console to the running engine about a live call (move the callee to
        # the opt-out menu, hang up); the engine takes them each tick and marks them taken.
        """CREATE TABLE call_commands (
            id INTEGER PRIMARY KEY,
            attempt_id INTEGER NOT NULL REFERENCES call_attempts (id),
            command TEXT NOT NULL CHECK (command IN ('optout_menu', 'hangup')),
            requested_by TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            taken_at TEXT)""",
        "CREATE INDEX call_commands_open ON call_commands (attempt_id) WHERE taken_at IS NULL",
    ),
    (
        # What retention and erasure took from the rows /metrics and the report count: the
        # aggregate of the rows deleted (or whose details were cleared), written in the same
        # transaction, so the counters never go down (konform.store.tallies). No personal data:
        # a campaign's name ('' for none), the UTC day the counted rows started (or the audit
        # row's day), the metric and its key (an outcome, a reason code, a bucket's bound, an
        # opt-out's source). ``total``: milliseconds for durations, points for ratings.
        """CREATE TABLE retired_tallies (
            campaign TEXT NOT NULL,
            day TEXT NOT NULL,
            metric TEXT NOT NULL,
            key TEXT NOT NULL,
            count INTEGER NOT NULL,
            total INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (campaign, day, metric, key)) WITHOUT ROWID""",
    ),
    (
        # A campaign's team: the agents ([dialer] agents, PJSIP endpoints) who may take its
        # answered people, comma-separated; NULL: every agent (the shared pool).
        "ALTER TABLE campaigns ADD COLUMN agents TEXT",
    ),
    (
        # An agent who hears a mailbox on a bridged call (the detector missed it) ends the call
        # from the desk: ``mailbox`` joins the console's commands (SQLite cannot change a
        # CHECK: the table is rebuilt with its rows).
        """CREATE TABLE call_commands_new (
            id INTEGER PRIMARY KEY,
            attempt_id INTEGER NOT NULL REFERENCES call_attempts (id),
            command TEXT NOT NULL CHECK (command IN ('optout_menu', 'hangup', 'mailbox')),
            requested_by TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            taken_at TEXT)""",
        "INSERT INTO call_commands_new SELECT * FROM call_commands",
        "DROP TABLE call_commands",
        "ALTER TABLE call_commands_new RENAME TO call_commands",
        "CREATE INDEX call_commands_open ON call_commands (attempt_id) WHERE taken_at IS NULL",
    ),
    (
        # Day summaries (konform.store.summaries): what closed attempts count, per campaign, UTC
        # day the attempts started, metric and key, made once so that a scrape of /metrics and
        # the all-time report read the summaries plus the few attempts not summarised yet
        # instead of every row. Same shape as retired_tallies, no personal data. An attempt
        # counted in a summary is marked ``summarised`` (the partial index holds the others);
        # opt-outs (audit rows, append-only) are summarised up to the audit id in meta
        # ``optouts_summarised_through``.
        "ALTER TABLE call_attempts ADD COLUMN summarised INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX call_attempts_live ON call_attempts (started_at) WHERE summarised = 0",
        """CREATE TABLE day_summaries (
            campaign TEXT NOT NULL,
            day TEXT NOT NULL,
            metric TEXT NOT NULL,
            key TEXT NOT NULL,
            count INTEGER NOT NULL,
            total INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (campaign, day, metric, key)) WITHOUT ROWID""",
        # The summaries summed over their days (day ''): what a scrape reads.
        """CREATE TABLE summary_totals (
            campaign TEXT NOT NULL,
            day TEXT NOT NULL,
            metric TEXT NOT NULL,
            key TEXT NOT NULL,
            count INTEGER NOT NULL,
            total INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (campaign, day, metric, key)) WITHOUT ROWID""",
        "INSERT INTO meta (key, value) VALUES ('optouts_summarised_through', '0')"
        " ON CONFLICT (key) DO NOTHING",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the missing migrations; return the version the database is now at."""
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"the database has schema version {version}, newer than this konform knows "
            f"({SCHEMA_VERSION}); upgrade konform"
        )
    for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return SCHEMA_VERSION
