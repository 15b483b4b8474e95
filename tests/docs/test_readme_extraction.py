"""The README command check reads commands as a shell would, and covers them only with what really ran."""

from __future__ import annotations

from tests.docs.readme_commands import Shown, covered, shell_words, shown_commands

FENCE = "```"


def test_a_fenced_block_is_read_as_shell():
    script = (
        "ARNS=$(aws cloudformation describe-stacks --stack-name s \\\n"
        '  --query "Stacks[0].Outputs" --output text)   # the outputs\n'
        'IFS=, read JL CE <<< "$ARNS"\n'
        'aws sagemaker update-domain --domain-id d-1 --default-user-settings "{\n'
        '  \\"A\\": \\"$JL\\"}"\n'
        "sam build && sam deploy --guided\n"
        "aws stepfunctions describe-execution --execution-arn x --query output | jq .Counts\n"
    )

    commands = shell_words(script)

    assert commands == [
        [
            "aws",
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            "s",
            "--query",
            "Stacks[0].Outputs",
            "--output",
            "text",
        ],
        ["read", "JL", "CE"],
        ["aws", "sagemaker", "update-domain", "--domain-id", "d-1", "--default-user-settings", '{\n  "A": "$JL"}'],
        ["sam", "build"],
        ["sam", "deploy", "--guided"],
        ["aws", "stepfunctions", "describe-execution", "--execution-arn", "x", "--query", "output"],
        ["jq", ".Counts"],
    ]


def test_placeholders_in_angle_brackets_stay_one_word_and_here_strings_stay_redirections():
    assert shell_words("aws sqs start-message-move-task --source-arn <dead-letter queue ARN>") == [
        ["aws", "sqs", "start-message-move-task", "--source-arn", "<dead-letter queue ARN>"]
    ]
    assert shell_words('read A B <<< "$X"; cat < in.txt > out.txt') == [["read", "A", "B"], ["cat"]]


def test_commands_are_found_in_sh_blocks_and_in_inline_spans_even_wrapped_but_not_in_other_blocks():
    markdown = "\n".join(
        [
            "Run `make demo` first, then see `aws sqs receive-message --queue-url <Url>",
            "  --max-number-of-messages 10`; `ruff check` is not ours and `sam` alone is a word.",
            f"{FENCE}sh",
            "make test   # everything",
            FENCE,
            f"{FENCE}python",
            "make = 'not a command'",
            FENCE,
            "  " + FENCE + "sh",
            "  aws ssm put-parameter --name /x --value file://c.yaml",
            "  " + FENCE,
        ]
    )

    shown = shown_commands(markdown)

    assert [(s.line, s.fenced, list(s.words)) for s in shown] == [
        (4, True, ["make", "test"]),
        (10, True, ["aws", "ssm", "put-parameter", "--name", "/x", "--value", "file://c.yaml"]),
        (1, False, ["make", "demo"]),
        (1, False, ["aws", "sqs", "receive-message", "--queue-url", "<Url>", "--max-number-of-messages", "10"]),
    ]


def _shown(text: str) -> Shown:
    return Shown(1, text, fenced=False)


def test_an_exact_command_is_covered_only_by_the_same_words_after_substitution():
    shown = _shown("aws sagemaker delete-tags --resource-arn '<domain ARN>' --tag-keys domain-steward:teardown")
    values = {"<domain ARN>": "arn:aws:sagemaker:us-east-1:123456789012:domain/d-1"}
    ran = ["aws", "sagemaker", "delete-tags", "--resource-arn", values["<domain ARN>"], "--tag-keys"]

    assert not shown.is_synopsis(values)
    assert not covered(shown, [[*ran, "other"]], values).covered
    assert not covered(
        shown, [[*ran[:4], "arn:aws:sagemaker:us-east-1:123456789012:domain/d-2", *ran[5:]]], values
    ).covered
    assert covered(shown, [["make", "demo"], [*ran, "domain-steward:teardown"]], values).covered


def test_a_shell_variable_stands_for_what_it_expanded_to():
    shown = _shown("aws stepfunctions describe-execution --execution-arn '$EXEC' --query cause --output text")
    ran = ["aws", "stepfunctions", "describe-execution", "--execution-arn", "arn:aws:states:x", "--query", "cause"]

    assert covered(shown, [[*ran, "--output", "text"]], {}).covered
    assert not covered(shown, [[*ran, "--output", "json"]], {}).covered
    assert not covered(shown, [[*ran[:4], "", *ran[5:], "--output", "text"]], {}).covered  # expanded to nothing


def test_a_synopsis_needs_its_command_and_every_option_it_shows():
    shown = _shown("domain-steward teardown plan DOMAIN '[--user-profile' 'NAME]' '[--delete-home-efs]'")
    plan = ["domain-steward", "teardown", "plan", "d-1"]

    assert shown.is_synopsis({})
    assert shown.command_words({}) == ("domain-steward", "teardown", "plan")
    assert not covered(shown, [["domain-steward", "teardown", "start", "--user-profile", "x"]], {}).covered
    verdict = covered(shown, [[*plan, "--delete-home-efs"]], {})
    assert not verdict.covered
    assert "--user-profile" in verdict.why
    assert covered(shown, [[*plan, "--delete-home-efs"], [*plan, "--user-profile=alice"]], {}).covered


def test_python_dash_m_names_its_module_as_the_command():
    shown = _shown("python -m benchmarks.teardown '[--sizes' N '...]'")

    assert shown.command_words({}) == ("python", "-m", "benchmarks.teardown")
    assert not covered(shown, [["python", "-m", "benchmarks.autostop", "--sizes", "10"]], {}).covered
    assert covered(shown, [["python", "-m", "benchmarks.teardown", "--sizes", "10"]], {}).covered
