"""The scripted scenarios the real CLI runs: what the fake API answers, and which developer runs which prompt."""

from __future__ import annotations

from dataclasses import dataclass

from tests.realcli.fake_anthropic import Fail, Step, Text, ToolUse, Usage

SUB = "[[sub_review]]"


def scripts() -> dict[str, list[Step]]:
    """Marker -> replies by assistant-turn index (shared by every scenario of a module run)."""
    big = Usage(
        input_tokens=900,
        output_tokens=250,
        cache_read_input_tokens=12_000,
        cache_creation_5m=1500,
        cache_creation_1h=500,
    )
    return {
        "write_edit": [
            ToolUse("Write", {"file_path": "hello.py", "content": "def hello():\n    return 'hi'\n\nprint(hello())\n"}),
            ToolUse(
                "Edit",
                {"file_path": "hello.py", "old_string": "return 'hi'", "new_string": "return 'hello'\n    # edited"},
            ),
            Text("Wrote and edited hello.py.", big),
        ],
        "commit": [
            ToolUse("Write", {"file_path": "notes.md", "content": "# Notes\n\nfirst\n"}),
            ToolUse(
                "Bash", {"command": "git add notes.md && git commit -m 'Add notes'", "description": "Commit notes"}
            ),
            Text("Committed."),
        ],
        "pr": [
            ToolUse(
                "Bash",
                {
                    "command": "git checkout -b feature && git commit --allow-empty -m 'Feature'",
                    "description": "Branch",
                },
            ),
            ToolUse(
                "Bash", {"command": "gh pr create --title 'Feature' --body 'Adds a feature'", "description": "Open PR"}
            ),
            Text("Opened https://github.example/acme/demo/pull/7"),
        ],
        "subagent": [
            ToolUse(
                "Agent",
                {
                    "description": "Review code",
                    "prompt": f"{SUB} Review the repository.",
                    "subagent_type": "general-purpose",
                },
            ),
            Text("The subagent reviewed it."),
        ],
        "sub_review": [Text("Looks fine.", Usage(input_tokens=400, output_tokens=80, cache_read_input_tokens=3000))],
        "overloaded": [Fail(529)],
        "flaky": [Fail(500, times=1, then=Text("Recovered after one 500."))],
        # Events (issue 16): a tool the permission mode rejects (a tool_decision, no tool_result), an Edit whose
        # old_string is not in the file (the CLI 2.1.332 refuses it before any decision: no event), a command that
        # fails (tool_result success=false), and a conversation that `/compact` compacts.
        "reject": [
            ToolUse("Bash", {"command": "curl http://example.invalid/x", "description": "Fetch"}),
            Text("Refused."),
        ],
        "badedit": [
            ToolUse("Write", {"file_path": "f.py", "content": "a = 1\n"}),
            ToolUse("Edit", {"file_path": "f.py", "old_string": "zzz", "new_string": "yyy"}),
            Text("The edit failed."),
        ],
        "badbash": [ToolUse("Bash", {"command": "exit 3", "description": "Fail"}), Text("It failed.")],
        "compactme": [Text("First answer."), Text("Summary of the conversation so far.")],
        "resume": [
            Text("First part done."),
            ToolUse("Write", {"file_path": "later.txt", "content": "a\nb\n"}),
            Text("Resumed."),
        ],
    }


@dataclass(frozen=True)
class Invocation:
    developer: str
    marker: str
    prompt: str
    resume: bool = False
    expect_ok: bool = True
    permission_mode: str | None = None  # None: --dangerously-skip-permissions


#: Developers: name -> (department, team, OAuth e-mail or None for an API key).
DEVELOPERS: dict[str, tuple[str, str, str | None]] = {
    "alice": ("eng", "core", None),
    "bob": ("eng", "web", "bob@acme.example"),
    "carol": ("sales", "emea", None),
}

INVOCATIONS: list[Invocation] = [
    Invocation("alice", "write_edit", "[[write_edit]] create hello.py then change it"),
    Invocation("alice", "commit", "[[commit]] write notes and commit them"),
    Invocation("bob", "pr", "[[pr]] open a pull request"),
    Invocation("bob", "subagent", "[[subagent]] ask a subagent to review"),
    Invocation("carol", "overloaded", "[[overloaded]] this fails", expect_ok=False),
    Invocation("carol", "flaky", "[[flaky]] this recovers"),
    Invocation("carol", "resume", "[[resume]] start something"),
    Invocation("carol", "resume", "keep going", resume=True),
    Invocation("alice", "reject", "[[reject]] fetch a page", permission_mode="default"),
    Invocation("alice", "badedit", "[[badedit]] write then edit f.py"),
    Invocation("bob", "badbash", "[[badbash]] run a failing command"),
    Invocation("carol", "compactme", "[[compactme]] hello"),
    Invocation("carol", "compactme", "/compact", resume=True),
]
