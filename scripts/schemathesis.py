"""The runs of scripts/schemathesis (which makes the virtual environment and runs this file with
SCHEMATHESIS=its schemathesis): a throwaway stack from the stack tool, four schemathesis runs against it, a summary.

    SCHEMATHESIS=.build/schemathesis-venv/bin/schemathesis python3 scripts/schemathesis.py

Environment: TW_SCHEMATHESIS_SEED, TW_SCHEMATHESIS_EXAMPLES, TW_SCHEMATHESIS_KEEP (see scripts/schemathesis).
"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

from twstack import Stack, StackConfig, StackError, mint_hs256, say, tenant_token  # noqa: E402
from twstack.console import exit_status  # noqa: E402
from twstack.config import own_environment  # noqa: E402

DEMO_TENANT = "demo"
# Undocumented methods the coverage phase sends: its default list without TRACE (see scripts/schemathesis).
COMMON_CONFIG = ('[phases.coverage]\n'
                 'unexpected-methods = ["get", "put", "post", "delete", "options", "patch", "query"]\n')
AUTHORIZED_CONFIG = 'headers = { Authorization = "${TW_SCHEMATHESIS_AUTHORIZATION}" }\n' + COMMON_CONFIG
TENANT_ROUTES = r"^/api/(tenants/\{tenantId\}/whatsapp/|evolution/webhook$)"


def setting(name: str, default: str) -> int:
    value = os.environ.get(name) or default
    if not re.fullmatch(r"[1-9][0-9]*|0", value):
        raise StackError(f"{name} must be a whole number")
    return int(value)


def stack_config() -> StackConfig:
    """scripts/run's stack in a throwaway folder, with nginx's limits lifted (most requests would get the documented
    429 and test nothing else). EVOLUTION_QR_WAIT_MS: a connect whose QR code never comes answers its 202 after 1 s,
    not 20. SIM_AUTO_SCAN_SECONDS: the simulator's phone scans each QR code a second after it is shown, so the run
    also meets a connected instance (status `open`, connect 409 `already_connected`)."""
    return StackConfig(
        throwaway_prefix="tw-st-", keep=os.environ.get("TW_SCHEMATHESIS_KEEP") == "1",
        simulator_env={"SIM_AUTO_SCAN_SECONDS": "1", "SIM_HOLD_DELETED_UNTIL_DELIVERED": "true"},
        responder_env={"EVOLUTION_QR_WAIT_MS": "1000"},
        nginx_env={"TW_NGINX_RATE": "100000r/s", "TW_NGINX_BURST": "100000", "TW_NGINX_CONN": "10000"},
        capture_output=True, environment=own_environment())


def authorizations(stack: Stack) -> dict[str, str]:
    """The three Authorization headers: the demo tenant's token, the same claims signed with a key the stack does not
    have (only the signature is wrong), and Evolution's webhook token (HS256 with EVOLUTION_WEBHOOK_SECRET)."""
    now = int(time.time())
    stack.postgres.query(f"INSERT INTO tenants (id) VALUES ('{DEMO_TENANT}') ON CONFLICT (id) DO NOTHING")
    invalid = mint_hs256(os.urandom(32).hex(), {"sub": "demo-user", "tenantId": DEMO_TENANT, "iat": now,
                                                "exp": now + 3600})
    webhook = mint_hs256(stack.webhook_secret, {"iat": now, "exp": now + 600, "app": "evolution", "action": "webhook"})
    return {"valid": f"Bearer {tenant_token(stack.jwt_secret, DEMO_TENANT, 'demo-user')}",
            "invalid": f"Bearer {invalid}", "webhook": f"Bearer {webhook}"}


def run(stack: Stack, name: str, config: str, authorization: str, examples: int, seed: int,
        options: list[str]) -> tuple[bool, str]:
    """One schemathesis run, from the state folder (schemathesis and hypothesis keep caches in the current folder,
    which must neither litter the checkout nor carry one run's findings into the next); (passed, summary line)."""
    say(f"run {name}: seed {seed}, at most {examples} examples per operation")
    state, base = stack.run_dir, stack.base_url
    started = time.monotonic()
    env = {**os.environ, "TW_SCHEMATHESIS_AUTHORIZATION": authorization,
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    output = state / f"{name}.out"
    with open(output, "w") as file:
        status = subprocess.run(
            [os.environ["SCHEMATHESIS"], "--config-file", f"{config}.toml", "run", f"{base}/api/openapi.yaml",
             "--url", base, "--checks", "all", "--phases", "examples,coverage,fuzzing", "--seed", str(seed),
             "--max-examples", str(examples), "--generation-database", "none", "--workers", "1",
             "--request-timeout", "30", "--no-color", *options],
            cwd=state, env=env, stdout=file, stderr=subprocess.STDOUT).returncode
    text = output.read_text()
    # e.g. "  412 generated, 412 passed, 6 skipped"
    lines = [line.strip() for line in text.splitlines() if re.match(r"^ +[0-9]+ generated", line)]
    line = lines[-1] if lines else "no summary"
    if status != 0:
        sys.stderr.write(text)
        say(f"run {name} FAILED (exit {status})")
    else:
        say(f"run {name}: {line}")
    return status == 0, f"{name}: {line}; exit {status}; {time.monotonic() - started:.0f} s"


def main() -> int:
    seed = setting("TW_SCHEMATHESIS_SEED", "20261202")
    examples = setting("TW_SCHEMATHESIS_EXAMPLES", "200")
    if examples == 0:
        raise StackError("TW_SCHEMATHESIS_EXAMPLES must be a whole number above 0")
    auth_examples = max(1, examples // 3)
    with Stack(stack_config()) as stack:
        say(f"starting the stack in {stack.run_dir}")
        stack.up()
        (stack.run_dir / "anonymous.toml").write_text(COMMON_CONFIG)
        (stack.run_dir / "authorized.toml").write_text(AUTHORIZED_CONFIG)
        tokens = authorizations(stack)
        results = [
            run(stack, "valid", "authorized", tokens["valid"], examples, seed,
                ["--exclude-path", "/api/evolution/webhook"]),
            run(stack, "no-token", "anonymous", "", auth_examples, seed,
                ["--include-path-regex", TENANT_ROUTES, "--warnings", "off"]),
            run(stack, "invalid-token", "authorized", tokens["invalid"], auth_examples, seed,
                ["--include-path-regex", TENANT_ROUTES, "--warnings", "off"]),
            # A delivery's date_time must lie within the time zones' window around now (docs/webhooks.md): no schema
            # can say that, so a schema-valid example dated days ago is rightly 400 invalid_body. Every other check
            # (no 5xx, documented statuses and bodies, negative data refused) still applies.
            run(stack, "webhook", "authorized", tokens["webhook"], examples, seed,
                ["--include-path", "/api/evolution/webhook", "--exclude-checks", "positive_data_acceptance"]),
        ]
        state = stack.run_dir
    for _, summary in results:
        print(f"  {summary}", file=sys.stderr)
    if not all(passed for passed, _ in results):
        say(f"error: schemathesis found failures (their output is above; TW_SCHEMATHESIS_KEEP=1 keeps {state})")
        return 1
    say(f"no failures in {len(results)} runs (seed {seed})")
    return 0


if __name__ == "__main__":
    sys.exit(exit_status(main))
