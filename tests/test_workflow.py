"""GitHub Actions 工作流（.github/workflows/）的安全：zizmor 没有任何发现，每个 action 都固定到完整的提交 SHA。

zizmor 在测试依赖里（pyproject.toml 的 ``test``），所以这里直接运行它，找不到就失败。``--offline`` 只做不联网的检查；
``--persona=pedantic`` 连没有名字的作业、没有注释说明的权限也算作发现（与 .ci/run 和工作流里的那一步相同）。
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])

#: ``uses: 拥有者/仓库[/路径]@<40 位十六进制的提交 SHA>  # v主.次.修订``
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^v\d+(?:\.\d+){0,2}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*?))?\s*$")

UNPINNED_SAMPLE = """\
name: 例
on: push
permissions: {}
jobs:
  build:
    name: 构建
    runs-on: ubuntu-latest
    permissions:
      contents: read  # 检出仓库
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02  # v4.6.2
        with:
          path: dist
"""


def zizmor_executable() -> str:
    """与运行测试的 Python 同一个虚拟环境里的 zizmor；没有就在 PATH 上找。"""
    here = Path(sys.executable).parent / "zizmor"
    found = str(here) if here.exists() else shutil.which("zizmor")
    if found is None:
        pytest.fail('找不到 zizmor：它在测试依赖里，请运行 python -m pip install -e ".[test]"')
    return found


def _where(location: dict) -> str:
    """一条发现的位置：文件名和行号（zizmor 的 JSON 里行号从 0 数起）。"""
    key = location.get("symbolic", {}).get("key", {})
    parts = [part for part in key.values() if isinstance(part, dict)]
    paths = [value for part in parts for value in part.values() if isinstance(value, str)]
    row = location.get("concrete", {}).get("location", {}).get("start_point", {}).get("row")
    path = Path(paths[-1]) if paths else Path("?")
    if path.is_relative_to(ROOT):
        path = path.relative_to(ROOT)
    return f"{path}:{'?' if row is None else row + 1}"


def zizmor_findings(target: Path) -> list[str]:
    """对 ``target``（文件或文件夹）运行 zizmor，每条发现写成一行：规则、说明、位置。"""
    result = subprocess.run(
        [zizmor_executable(), "--offline", "--persona=pedantic", "--format", "json", str(target)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    try:
        findings = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"zizmor 没有输出 JSON（退出状态 {result.returncode}）：\n{result.stdout}\n{result.stderr}")
    lines = []
    for finding in findings:
        severity = finding.get("determinations", {}).get("severity", "?")
        places = ", ".join(dict.fromkeys(_where(location) for location in finding.get("locations", [])))
        lines.append(f"{finding['ident']}（{severity}）：{finding['desc']}，位置 {places}")
    # 有发现时 zizmor 以非零状态退出，没有发现时是 0；两者不一致说明输出没读对
    assert (result.returncode == 0) == (not lines), (result.returncode, lines, result.stderr)
    return lines


def unpinned_uses(text: str) -> list[str]:
    """工作流文本里没有固定到提交 SHA、或没有 ``# v…`` 版本注释的 ``uses:``，每个写成 ``行号: 说明``。

    本仓库里的 action（``./…``）不算；``docker://`` 镜像要用 ``@sha256:`` 摘要。行是逐行扫出来的（注释只有在
    原文里才看得到），再与 YAML 解析出的全部 ``uses`` 比对，保证没有写成别的样子而漏掉的。
    """
    problems, seen = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        match = USES_LINE.match(line)
        if match is None:
            continue
        ref, comment = match["ref"].strip("'\""), (match["comment"] or "").strip()
        seen.append(ref)
        if ref.startswith("./"):
            continue
        if ref.startswith("docker://"):
            if "@sha256:" not in ref:
                problems.append(f"{number}: {ref} 没有用 @sha256: 摘要固定")
            continue
        if not PINNED.match(ref):
            problems.append(f"{number}: {ref} 没有固定到 40 位的提交 SHA")
        elif not VERSION_COMMENT.match(comment):
            problems.append(f"{number}: {ref} 后面缺少版本注释（如 # v4.2.2）")
    parsed = _uses_in(yaml.safe_load(text))
    missed = sorted(set(parsed) - set(seen))
    problems += [f"?: {ref} 不是单独一行的 uses:，无法检查它的版本注释" for ref in missed]
    return problems


def _uses_in(node) -> list[str]:
    if isinstance(node, dict):
        found = [value for key, value in node.items() if key == "uses" and isinstance(value, str)]
        return found + [ref for value in node.values() for ref in _uses_in(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _uses_in(item)]
    return []


def test_there_is_a_workflow_to_check():
    assert WORKFLOW_FILES, f"{WORKFLOWS} 里没有工作流"


def test_zizmor_finds_nothing_in_the_workflows():
    findings = zizmor_findings(WORKFLOWS)
    assert not findings, "zizmor 的发现：\n" + "\n".join(findings)


def test_zizmor_check_can_fail(tmp_path):
    """同样的调用在一个按标签引用 action、检出时保存凭据的工作流上报出这些问题。"""
    sample = tmp_path / ".github" / "workflows" / "sample.yml"
    sample.parent.mkdir(parents=True)
    sample.write_text(UNPINNED_SAMPLE, encoding="utf-8")
    findings = zizmor_findings(sample.parent)
    assert any(line.startswith("unpinned-uses") and "sample.yml:11" in line for line in findings), findings
    assert any(line.startswith("artipacked") for line in findings), findings


@pytest.mark.parametrize("workflow", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(workflow):
    text = workflow.read_text(encoding="utf-8")
    assert _uses_in(yaml.safe_load(text)), f"{workflow.name} 里没有 uses:，检查什么也没看"
    problems = unpinned_uses(text)
    assert not problems, f"{workflow.relative_to(ROOT)}：\n" + "\n".join(problems)


def test_pin_check_reports_tags_bare_shas_and_missing_comments():
    problems = unpinned_uses(UNPINNED_SAMPLE)
    assert problems == [
        "11: actions/checkout@v4 没有固定到 40 位的提交 SHA",
        "12: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 后面缺少版本注释（如 # v4.2.2）",
    ]
    # 写在一行里的步骤（流式映射）逐行扫不到，靠 YAML 解析的结果补上
    inline = "jobs:\n  a:\n    steps:\n      - {uses: actions/checkout@v4}\n"
    assert unpinned_uses(inline) == ["?: actions/checkout@v4 不是单独一行的 uses:，无法检查它的版本注释"]


@pytest.mark.parametrize("workflow", WORKFLOW_FILES, ids=lambda path: path.name)
def test_workflow_grants_nothing_and_each_job_declares_its_permissions(workflow):
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    assert data.get("permissions") == {}, f"{workflow.name}：工作流一级应写 permissions: {{}}，权限逐个作业给"
    undeclared = [name for name, job in data["jobs"].items() if "permissions" not in job]
    assert not undeclared, f"{workflow.name}：这些作业没有写 permissions：{undeclared}"
    checkouts = [step for job in data["jobs"].values() for step in job.get("steps", [])
                 if str(step.get("uses", "")).startswith("actions/checkout@")]
    assert all(step.get("with", {}).get("persist-credentials") is False for step in checkouts), checkouts
