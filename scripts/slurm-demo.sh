#!/usr/bin/env bash
# A batch job over a Slurm job array on this one machine: installs Slurm and
# MUNGE from Debian's packages, starts a controller and a node here, builds
# `dgrid` and the emulator, runs a 4-task array (`dgrid batch`, each task its
# shard) against the emulator, then merges the shards and checks that every
# line was answered once. Run as root (or with sudo) on a machine you own; not
# part of CI. Leaves Slurm stopped.
#   scripts/slurm-demo.sh [lines]
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-2000}
sudo=""
[[ $(id -u) -eq 0 ]] || sudo=sudo

scripts/install-deps.sh
missing=()
for p in slurm-wlm munge; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}"
fi

cmake --preset release >/dev/null
cmake --build --preset release -j "${JOBS:-$(nproc)}" --target dgrid_cli dgrid-emulator
bin=$PWD/build/release

# One node, this machine, named as Slurm will find it.
host=$(hostname -s)
cpus=$(nproc)
$sudo mkdir -p /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm
$sudo tee /etc/slurm/slurm.conf >/dev/null <<CONF
ClusterName=dgrid-demo
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=demo Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

stop_slurm() {
  $sudo pkill -x slurmd 2>/dev/null || true
  $sudo pkill -x slurmctld 2>/dev/null || true
}
source scripts/emulator.sh
cleanup() {
  [[ -z ${emulator_pid:-} ]] || stop_emulator
  stop_slurm
}
trap cleanup EXIT

# Without systemd (a container), the daemons' run directories are ours to make.
[[ -f /etc/munge/munge.key ]] || $sudo mungekey --create
$sudo install -d -o munge -g munge -m 0755 /run/munge
pgrep -x munged >/dev/null || $sudo runuser -u munge -- /usr/sbin/munged
stop_slurm
$sudo slurmctld
$sudo slurmd
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE '^idle' && break
  sleep 1
done
sinfo

work=$(mktemp -d /tmp/dgrid-slurm-demo.XXXXXX)
chmod 755 "$work"
key=slurm-demo-key
start_emulator "$bin/src/emulator/dgrid-emulator" --api-key "$key" --threads 2
echo "emulator at $emulator_url; files in $work"

for ((i = 0; i < lines; i++)); do
  printf '{"custom_id":"request-%d","method":"POST","url":"/v1/chat/completions","body":{"model":"emulator/echo","messages":[{"role":"user","content":"prompt %d"}]}}\n' "$i" "$i"
done >"$work/requests.jsonl"

mkdir -p "$work/logs"
cat >"$work/batch.sh" <<JOB
#!/bin/bash
#SBATCH --job-name=dgrid-batch
#SBATCH --array=0-3
#SBATCH --cpus-per-task=1
#SBATCH --output=$work/logs/batch-%a.log
exec "$bin/src/cli/dgrid" batch "$work/requests.jsonl" --output "$work/answers.jsonl"
JOB
DGRID_API_KEY=$key DGRID_BASE_URL=$emulator_url DGRID_CA_FILE=$emulator_ca \
  sbatch --wait --export=ALL "$work/batch.sh"
tail -n 1 "$work"/logs/batch-*.log

"$bin/src/cli/dgrid" batch merge --input "$work/requests.jsonl" --output "$work/answers.jsonl" --shards 4
echo "merged: $(wc -l <"$work/answers.jsonl") answers in $work/answers.jsonl"
