using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Distillery.Training;

/// <summary>A contiguous CPU float32 tensor's own memory as a span: what the fused kernels read and write in place.</summary>
internal static class TensorMemory
{
    public static Span<float> Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);
}
