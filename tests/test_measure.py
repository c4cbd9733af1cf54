"""The benchmark's memory sampler counts each address space once."""
import os
import threading

from bench.measure import _borrows_parent_memory


def test_a_task_sharing_the_address_space_is_recognised():
    # A thread shares its process's memory exactly as a vfork()ed child does before exec().
    seen = []
    thread = threading.Thread(target=lambda: seen.append(_borrows_parent_memory(threading.get_native_id(), os.getpid())))
    thread.start()
    thread.join()
    assert seen == [True]


def test_a_forked_child_has_its_own_memory():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child waits until the parent has looked at it
        os.read(read, 1)
        os._exit(0)
    try:
        assert _borrows_parent_memory(pid, os.getpid()) is False
    finally:
        os.write(write, b"x")
        os.waitpid(pid, 0)
        os.close(read)
        os.close(write)
