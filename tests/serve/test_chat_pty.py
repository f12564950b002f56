#!/usr/bin/env python3
"""`medllm chat` in a pseudo-terminal: a question gets a streamed answer and a new prompt,
/system and /reset are acknowledged, Ctrl-C stops a long answer (" [stopped]") without quitting,
the next question is answered, and /exit ends the session with status 0.

Usage: test_chat_pty.py MEDLLM_BINARY REPO_DIR
"""
import os
import pty
import select
import sys
import time

from checks import check, finish

medllm, repo = sys.argv[1], sys.argv[2]
stories = os.path.join(repo, "data/models/stories260K/stories260K.gguf")


pid, fd = pty.fork()
if pid == 0:
    os.execv(medllm, [medllm, "chat", "-m", stories, "--temp", "0", "--ignore-eos", "-n", "-1", "-t", "1"])

buffer = b""


def read_until(marker, timeout=30.0):
    """Everything up to and including the next `marker`."""
    global buffer
    deadline = time.time() + timeout
    while marker not in buffer:
        left = deadline - time.time()
        if left <= 0:
            raise SystemExit(f"timed out waiting for {marker!r}; got {buffer[-300:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                buffer += os.read(fd, 4096)
            except OSError:
                break
    head, _, buffer = buffer.partition(marker)
    return head.decode(errors="replace")


def send(text):
    os.write(fd, text.encode())


read_until(b"> ")
send("/system You tell short stories\n")
check("/system acknowledged", "system prompt set" in read_until(b"> "))
# Ctrl-C as soon as the answer starts: with --ignore-eos it would run to the end of the context.
stopped = False
for attempt in range(3):
    send("Tell me a long story\n")
    read_until(b"Tell me a long story\r\n")  # the terminal echoes the line
    select.select([fd], [], [], 10)  # the first bytes of the answer
    send("\x03")
    answer = read_until(b"> ")
    if "[stopped]" in answer:
        stopped = True
        print(f"Ctrl-C stopped the answer on attempt {attempt + 1}")
        break
check("Ctrl-C stops the answer", stopped)
check("still running after Ctrl-C", os.waitpid(pid, os.WNOHANG) == (0, 0))
send("/reset\n")
check("/reset acknowledged", "conversation cleared" in read_until(b"> "))
send("Hi\n")
read_until(b"Hi\r\n")
answer = read_until(b"> ", timeout=60)
check("the next question is answered", len(answer.strip()) > 0, answer)
send("/exit\n")
_, status = os.waitpid(pid, 0)
check("/exit quits with status 0", os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status)
finish()
