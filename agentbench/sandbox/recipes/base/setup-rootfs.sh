#!/bin/sh
# Runs inside the debootstrapped root (chroot) before `docker import`.
# Keeps the image small and makes git usable for the agent and the grader.
set -eu
git config --system user.name agentbench
git config --system user.email agentbench@localhost
# Repos are copied in by root-owned layers; the agent runs as root too.
git config --system --add safe.directory '*'
git config --system init.defaultBranch main
# pip in later layers must not refuse a system install (Debian marks it externally managed).
rm -f /usr/lib/python3*/EXTERNALLY-MANAGED
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/* /tmp/* /usr/share/doc/* /usr/share/man/* /usr/share/locale/*
