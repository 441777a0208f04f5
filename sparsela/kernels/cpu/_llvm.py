"""LLVM intrinsics that Numba does not expose (private).

:func:`prefetch`: the dense FWHT starts loading its next block from main memory
while the current one is being transformed in cache. :func:`popcount`: the
sparse WHT computes GF(2) inner products (parities of ``mask & k``) with it.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["popcount", "prefetch"]


@intrinsic
def prefetch(typingctx, arr, idx):
    """Hint the CPU to load the cache line holding ``arr[idx]`` (1-D ``arr``).

    Compiles to one ``prefetchw`` (read/write, keep in all cache levels); it
    never faults, so an index past the end is harmless, but callers keep it
    in range anyway. Only callable from jitted code.
    """
    if not (isinstance(arr, types.Array) and arr.ndim == 1):
        return None
    if not isinstance(idx, types.Integer):
        return None
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(
            context, builder, aryty, ary, [args[1]], wraparound=False
        )
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # (address, rw=1 write, locality=3 keep, cache=1 data)
        builder.call(
            fn,
            [builder.bitcast(ptr, i8p), i32(1), i32(3), i32(1)],
        )
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def popcount(typingctx, x):
    """Number of set bits of the integer ``x`` (``llvm.ctpop``: one ``popcnt``
    instruction where the CPU has it). Only callable from jitted code."""
    if not isinstance(x, types.Integer):
        return None
    sig = x(x)

    def codegen(context, builder, signature, args):
        ity = context.get_value_type(signature.args[0])
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ity, [ity]), f"llvm.ctpop.i{ity.width}"
        )
        return builder.call(fn, [args[0]])

    return sig, codegen
