"""Generate large configurations for load and benchmark tests (the benchmark suite imports this)."""

from __future__ import annotations

from pathlib import Path


def generate(directory: Path, blocks: int = 1000, files: int = 4) -> Path:
    """Write a configuration of about ``blocks`` blocks into ``directory``: 40 % components, 40 %
    templates (each referencing three components by id and two distributions), 20 % distributions,
    spread over ``files`` files, plus variables and locals the blocks use."""
    directory.mkdir(parents=True, exist_ok=True)
    n_comp = max(1, blocks * 2 // 5)
    n_tmpl = max(1, blocks * 2 // 5)
    n_dist = max(1, blocks - n_comp - n_tmpl)
    chunks: list[list[str]] = [[] for _ in range(files)]
    chunks[0].append(
        'variable "app_version" {\n  type    = string\n  default = "1.2.3"\n'
        '  validation {\n    condition     = can(regex("^[0-9]+\\\\.[0-9]+\\\\.[0-9]+$", var.app_version))\n'
        '    error_message = "app_version must look like 1.2.3."\n  }\n}\n\n'
        'locals {\n  tags = { team = "platform", managed_by = "imgb" }\n  bases = ["busybox", "alpine"]\n}\n'
    )
    for i in range(n_comp):
        chunks[i % files].append(
            f'component "c{i}" {{\n'
            f'  description = "Component {i}"\n'
            f'  version     = "1.0.{i % 10}"\n'
            "  content     = <<-EOT\n"
            f"    RUN echo component-{i} > /etc/c{i}\n"
            f'    ENV C{i}_VERSION="${{var.app_version}}"\n'
            "  EOT\n"
            "  tags        = local.tags\n"
            "}\n"
        )
    for i in range(n_dist):
        chunks[i % files].append(
            f'distribution "d{i}" {{\n'
            f'  regions  = ["region-{i % 7}", "region-{(i + 3) % 7}"]\n'
            f'  accounts = ["{100000000000 + i}"]\n'
            "}\n"
        )
    for i in range(n_tmpl):
        comps = [(i * 3 + k) % n_comp for k in range(3)]
        build = "".join(f"    COMPONENT ${{component.c{c}.id}}\n" for c in comps)
        chunks[i % files].append(
            f'template "t{i}" {{\n'
            f'  description = "Template {i}"\n'
            f"  base_image  = local.bases[{i % 2}]\n"
            "  build       = <<-EOT\n"
            f"{build}"
            f'    RUN echo "t{i} ${{var.app_version}}" > /VERSION\n'
            "  EOT\n"
            f'  image_name  = "t{i}-${{replace(var.app_version, ".", "-")}}"\n'
            f"  distribute  = [distribution.d{i % n_dist}, distribution.d{(i + 1) % n_dist}]\n"
            "  tags        = merge(local.tags, { index = tostring(" + str(i) + ") })\n"
            "}\n"
        )
    for f, parts in enumerate(chunks):
        (directory / f"gen{f:02d}.imgb.hcl").write_text("\n".join(parts))
    return directory


if __name__ == "__main__":  # pragma: no cover - manual benchmarking
    import os
    import sys
    import tempfile
    import time

    from imgb.reconciler.config.load import load_config

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        d = generate(Path(tmp) / "cfg", n)
        env = {**os.environ, "IMGB_CACHE_DIR": str(Path(tmp) / "cache")}
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            config, diags = load_config(d, env=env)
            dt = time.perf_counter() - t0
            assert config is not None, [str(x) for x in diags]
            print(f"{label}: {dt:.3f} s for {n} blocks ({len(config.templates)} templates)")
