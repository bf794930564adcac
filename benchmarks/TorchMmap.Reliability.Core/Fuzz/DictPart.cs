using System.Numerics;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>One value of a generated header dict, its text and what is wrong with it.</summary>
/// <param name="Text">The Python literal text.</param>
/// <param name="Invalid">True when the value makes the file malformed.</param>
/// <param name="Unsupported">True when the value names a real dtype that cannot be loaded.</param>
/// <param name="DType">For a descr, the dtype it names when supported.</param>
/// <param name="Flag">For fortran_order, its value when valid.</param>
/// <param name="Dims">For a shape, its dimensions when it is a tuple of integers.</param>
public sealed record DictPart(string Text, bool Invalid, bool Unsupported, FuzzDType? DType = null, bool Flag = false, BigInteger[]? Dims = null);
