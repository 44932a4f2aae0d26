"""The deployment artefacts: Kubernetes manifests valid against the API schemas (offline), secure by
default, and running the same roles the container and the VM units run.

``kubectl kustomize`` (Debian's kubernetes-client, or any kubectl) renders each overlay;
``kubernetes-validate`` checks every object against the Kubernetes OpenAPI schemas that
ship with it, strictly (an unknown field is an error).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.urls import resolve

from tests.services import require

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("single", "ha")
KUBERNETES_VERSION = "1.30.0"
ROLES = ("web", "worker", "migrate")


def render(overlay: str) -> list[dict]:
    kubectl = shutil.which("kubectl")
    require(kubectl is not None, "kubectl not installed (apt-get install kubernetes-client)")
    out = subprocess.run(
        [kubectl, "kustomize", str(KUBE / "overlays" / overlay)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def pod_specs(objects: list[dict]) -> list[tuple[str, dict]]:
    specs = []
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job"):
            specs.append((obj["metadata"]["name"], obj["spec"]["template"]["spec"]))
    return specs


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_against_the_kubernetes_schemas(overlay):
    objects = render(overlay)
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == sorted(
        ["ConfigMap", "Deployment", "Deployment", "Ingress", "Job", "PodDisruptionBudget", "Service", "ServiceMonitor"]
    )
    for obj in objects:
        if obj["apiVersion"].startswith("monitoring.coreos.com/"):
            # A CRD: not in the core schemas; the fields prometheus-operator requires.
            endpoint = obj["spec"]["endpoints"][0]
            assert endpoint["path"] == "/api/v1/system/metrics" and endpoint["port"] == "http"
            continue
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_run_as_non_root_read_only_with_limits(overlay):
    objects = render(overlay)
    config = next(o for o in objects if o["kind"] == "ConfigMap")["metadata"]["name"]
    for name, spec in pod_specs(objects):
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            assert container["args"][0] in ROLES, name
            refs = [e.get("configMapRef", e.get("secretRef"))["name"] for e in container["envFrom"]]
            assert refs == [config, "kcloud-secrets"], name  # the generated ConfigMap, the operator's Secret
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, name


def test_overlays_differ_in_replicas_and_the_probes_hit_real_endpoints():
    replicas = {}
    for overlay in OVERLAYS:
        deployments = {o["metadata"]["name"]: o for o in render(overlay) if o["kind"] == "Deployment"}
        web, worker = deployments["kcloud-web"], deployments["kcloud-worker"]
        replicas[overlay] = (web["spec"]["replicas"], worker["spec"]["replicas"])
        container = web["spec"]["template"]["spec"]["containers"][0]
        for probe in ("readinessProbe", "livenessProbe"):
            resolve(container[probe]["httpGet"]["path"])  # a route of the product
    assert replicas == {"single": (1, 1), "ha": (3, 2)}


def test_container_and_vm_units_run_the_ci_install_and_the_entrypoint_roles():
    containerfile = (ROOT / "deploy" / "container" / "Containerfile").read_text()
    assert "scripts/install.sh" in containerfile and "USER 10001" in containerfile
    assert 'ENTRYPOINT ["/app/scripts/entrypoint.sh"]' in containerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/install.sh --dev" in makefile  # CI installs with the image's script
    entrypoint = (ROOT / "scripts" / "entrypoint.sh").read_text()
    for role in ROLES:
        assert re.search(rf"^\s+{role}\)", entrypoint, re.M), role
    for unit in (ROOT / "deploy" / "vm" / "systemd").glob("*.service"):
        start = re.search(r"^ExecStart=(.+)$", unit.read_text(), re.M).group(1).split()
        assert start[0] == "/opt/kcloud/scripts/entrypoint.sh" and start[1] in ROLES, unit.name


def test_the_entrypoint_runs_migrate_for_real(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHON": str(ROOT / ".venv" / "bin" / "python"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECRET_KEY": "entrypoint-test-0123456789-abcdefghijklmnopqrstuvwxyz",
        "KCLOUD_CREDENTIALS_KEY": "dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=",
        "KCLOUD_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kcloud.settings",
        "ALLOWED_HOSTS": "kcloud.example.internal",
    }
    run = subprocess.run(
        ["bash", str(ROOT / "scripts" / "entrypoint.sh"), "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "db.sqlite3").stat().st_size > 0


def test_the_nginx_site_is_valid_for_nginx(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    openssl = shutil.which("openssl")
    require(nginx is not None and openssl is not None, "nginx not installed (apt-get install nginx-light)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_cert = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert]
    subprocess.run([*make_cert, "-days", "1", "-subj", "/CN=kcloud.example.internal"], check=True, capture_output=True)
    site = (ROOT / "deploy" / "vm" / "nginx" / "kcloud.conf").read_text()
    site = site.replace("/etc/ssl/kcloud/fullchain.pem", str(cert)).replace("/etc/ssl/kcloud/privkey.pem", str(key))
    # `nginx -t` parses, it does not bind: unprivileged ports so it needs no root.
    site = site.replace("listen 80;", "listen 18080;").replace("listen 443 ssl http2;", "listen 18443 ssl http2;")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/site.conf;\n}}\n"
    )
    checked = subprocess.run(
        [nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_the_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    require(analyze is not None, "systemd-analyze not installed")
    units = []
    for unit in (ROOT / "deploy" / "vm" / "systemd").glob("*.service"):
        # The installed paths and the service user do not exist here: stand-ins, everything else as shipped.
        text = unit.read_text().replace("/opt/kcloud/scripts/entrypoint.sh", "/bin/true")
        text = text.replace("User=kcloud", "User=root").replace("Group=kcloud", "Group=root")
        text = text.replace("EnvironmentFile=/etc/kcloud/", "EnvironmentFile=-/etc/kcloud/")
        name = unit.name.replace("@.service", "@8001.service")
        (tmp_path / name).write_text(text)
        units.append(str(tmp_path / name))
    checked = subprocess.run([analyze, "verify", *units], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0 and checked.stderr.strip() == "", checked.stderr
