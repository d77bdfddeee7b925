"""numpy's data allocator while a scalar pandas UDF runs in a worker (NEP 49): the UDF computes its
result straight into the result ring, so the worker does not copy it there afterwards.

The worker reserves the message's region of the result ring before calling the UDF (as it always
did, to copy the result in), then installs this allocator for the duration of the call. The first
allocation of exactly the result's size (`v + 1` allocates its output once, of n values) is given
the region's values instead of heap memory; everything else goes to the C library's allocator, as
with numpy's default handler. When the call's result turns out to lie there, and no Python object
refers to it any more once the worker has dropped its own references (the allocator's free has
been called for it), the values are already where the executor reads them: nothing is copied.
If something still refers to it (a UDF that keeps its result, or a temporary of the same size),
the region stays Python's until that reference goes, and the result is copied into another
region, exactly as before.

The handler is installed through numpy's C API (PyDataMem_SetHandler, the capsule of
PyDataMem_Handler that NEP 49 defines), built with ctypes: numpy has no Python-level setter. Each
allocation made while it is installed costs a call into Python (~2.6 us with its free); a call
that allocates more than _STEP_ASIDE_AFTER arrays gets numpy's own handler back for the rest of
the call, so a UDF that makes many small arrays pays that only a few dozen times. Anything that
does not check out at start-up (another numpy C API, no ctypes) leaves the allocator unavailable
and the worker copies results as before.
"""

from __future__ import annotations

import ctypes
from typing import Any, Callable

_HANDLER_NAME = b"quiver_result_ring"
# After this many allocations in one call, the UDF evidently makes many arrays: numpy's own
# handler takes over for the rest of the call.
_STEP_ASIDE_AFTER = 64
# PyArray_API slots of the NEP 49 functions (numpy/_core/include/numpy/__multiarray_api.h; the
# same since numpy 1.22).
_SET_HANDLER_SLOT = 304


class Placement:
    """A region's values handed to numpy: live while a numpy array owns them. on_free runs when
    numpy frees them (the array died), which may be long after the message."""

    __slots__ = ("address", "size", "live", "on_free")

    def __init__(self, address: int, size: int):
        self.address = address
        self.size = size
        self.live = False
        self.on_free: Callable[[], None] | None = None


class ResultAllocator:
    def __init__(self) -> None:
        from numpy._core import _multiarray_umath as umath

        c_void_p, c_size_t = ctypes.c_void_p, ctypes.c_size_t
        malloc_type = ctypes.CFUNCTYPE(c_void_p, c_void_p, c_size_t)
        calloc_type = ctypes.CFUNCTYPE(c_void_p, c_void_p, c_size_t, c_size_t)
        realloc_type = ctypes.CFUNCTYPE(c_void_p, c_void_p, c_void_p, c_size_t)
        free_type = ctypes.CFUNCTYPE(None, c_void_p, c_void_p, c_size_t)

        class Allocator(ctypes.Structure):
            _fields_ = [("ctx", c_void_p), ("malloc", malloc_type), ("calloc", calloc_type),
                        ("realloc", realloc_type), ("free", free_type)]

        class Handler(ctypes.Structure):
            _fields_ = [("name", ctypes.c_char * 127), ("version", ctypes.c_uint8), ("allocator", Allocator)]

        libc = ctypes.CDLL(None)
        self._malloc = libc.malloc
        self._malloc.restype, self._malloc.argtypes = c_void_p, [c_size_t]
        self._calloc = libc.calloc
        self._calloc.restype, self._calloc.argtypes = c_void_p, [c_size_t, c_size_t]
        self._realloc = libc.realloc
        self._realloc.restype, self._realloc.argtypes = c_void_p, [c_void_p, c_size_t]
        self._free = libc.free
        self._free.restype, self._free.argtypes = None, [c_void_p]
        self._memmove = ctypes.memmove

        # What the handler hands out: the current call's placement, and every placement numpy
        # still owns (by address), whose free must not reach the C library.
        self.current: Placement | None = None
        self.owned: dict[int, Placement] = {}
        self.allocations = 0
        self.previous: Any = None
        self.stepped_aside = False

        # The callbacks, the handler and its capsule live as long as the process: arrays keep the
        # handler and call its free whenever they die.
        self._callbacks = (malloc_type(self._on_malloc), calloc_type(self._on_calloc),
                           realloc_type(self._on_realloc), free_type(self._on_free))
        self._handler = Handler(_HANDLER_NAME, 1, Allocator(None, *self._callbacks))
        capsule_new = ctypes.pythonapi.PyCapsule_New
        capsule_new.restype, capsule_new.argtypes = ctypes.py_object, [c_void_p, ctypes.c_char_p, c_void_p]
        self._capsule = capsule_new(ctypes.addressof(self._handler), b"mem_handler", None)
        capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
        capsule_pointer.restype, capsule_pointer.argtypes = c_void_p, [ctypes.py_object, ctypes.c_char_p]
        api = ctypes.cast(capsule_pointer(umath._ARRAY_API, None), ctypes.POINTER(c_void_p))
        self._set_handler = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.py_object)(api[_SET_HANDLER_SLOT])
        self._handler_name = umath.get_handler_name
        self._check()

    def _check(self) -> None:
        """Fails unless numpy really allocates through this handler and frees through it."""
        import numpy as np

        probe = Placement(0, 0)
        buffer = np.empty(64, dtype=np.uint8)
        probe.address, probe.size = buffer.ctypes.data, 64
        previous = self._set_handler(self._capsule)
        try:
            self.current = probe
            a = np.empty(64, dtype=np.uint8)
            name = self._handler_name(a)
            placed = a.ctypes.data == probe.address
            del a
        finally:
            self._set_handler(previous)
            self.current = None
        if name != _HANDLER_NAME.decode() or not placed or probe.live or self.owned:
            raise RuntimeError(f"numpy did not allocate through the result allocator (handler {name!r})")

    # -- installing around a call --------------------------------------------------------------

    def install(self, placement: Placement) -> None:
        self.current = placement
        self.allocations = 0
        self.stepped_aside = False
        self.previous = self._set_handler(self._capsule)

    def uninstall(self) -> None:
        if not self.stepped_aside:
            self._set_handler(self.previous)
        self.previous = None
        self.current = None

    # -- the handler's functions (called by numpy, the GIL held) -------------------------------

    def _on_malloc(self, _ctx: Any, size: int) -> int:
        try:
            placement = self.current
            if placement is not None and size == placement.size and not placement.live:
                placement.live = True
                self.owned[placement.address] = placement
                return placement.address
            self.allocations += 1
            if self.allocations > _STEP_ASIDE_AFTER and not self.stepped_aside and self.previous is not None:
                self._set_handler(self.previous)
                self.stepped_aside = True
        except BaseException:  # an exception must not escape into numpy's C code
            pass
        return self._malloc(size) or 0

    def _on_calloc(self, _ctx: Any, count: int, size: int) -> int:
        return self._calloc(count, size) or 0

    def _on_realloc(self, _ctx: Any, address: int, size: int) -> int:
        placement = self.owned.get(address) if address else None
        if placement is None:
            return self._realloc(address, size) or 0
        moved = self._malloc(size)
        if moved:
            self._memmove(moved, address, min(size, placement.size))
            self._release(placement)
        return moved or 0

    def _on_free(self, _ctx: Any, address: int, _size: int) -> None:
        placement = self.owned.get(address) if address else None
        if placement is None:
            self._free(address)
            return
        self._release(placement)

    def _release(self, placement: Placement) -> None:
        self.owned.pop(placement.address, None)
        placement.live = False
        if placement.on_free is not None:
            try:
                placement.on_free()
            except BaseException:
                pass


_ALLOCATOR: ResultAllocator | None = None
_TRIED = False


def result_allocator() -> ResultAllocator | None:
    """The process's allocator, made on first use; None where numpy's C API does not check out."""
    global _ALLOCATOR, _TRIED
    if not _TRIED:
        _TRIED = True
        try:
            _ALLOCATOR = ResultAllocator()
        except Exception:
            _ALLOCATOR = None
    return _ALLOCATOR
