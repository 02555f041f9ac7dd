"""Kernel flag values by name (sched.h, sys/mount.h, sys/prctl.h, linux/keyctl.h).

Every flag number buildah-py hands the kernel is spelled here once; callers use the names.
"""

from __future__ import annotations

# Namespaces: unshare(2), setns(2), clone(2).
CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

# mount(2) flags.
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24

# umount2(2) flags.
MNT_DETACH = 0x2

# prctl(2) options and arguments.
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PR_SET_NO_NEW_PRIVS = 38

# keyctl(2) operations and special keyring ids.
KEYCTL_GET_KEYRING_ID = 0
KEYCTL_JOIN_SESSION_KEYRING = 1
KEYCTL_READ = 11
KEYCTL_SEARCH = 10
KEY_SPEC_SESSION_KEYRING = -3

# seccomp(2).
SECCOMP_SET_MODE_FILTER = 1

# ID-mapped mounts (open_tree, mount_setattr, move_mount).
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
OPEN_TREE_CLONE = 0x1
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOUNT_ATTR_IDMAP = 0x00100000
