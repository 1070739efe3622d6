using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Distillery.Training;

/// <summary>
/// Settings of the math libraries inside libtorch, made when this assembly loads (before any torch call reads them);
/// an explicit setting in the environment wins.
/// <para>MKL may return different last bits for the same inputs depending on the memory alignment of the data, so a
/// run resumed in another process, or a job run next to others, could drift from an uninterrupted run. Its conditional
/// numerical reproducibility mode removes that: <c>MKL_CBWR=AUTO,STRICT</c> (same CPU and thread count → same bits).</para>
/// <para>oneDNN's LSTM, which libtorch runs for inference (no gradient), computes on AVX-512 processors outputs that
/// differ from the LSTM's by ~2·10⁻³ (seen on an AMD EPYC with AVX-512: the teacher's test loss 4.0 where the same
/// weights score 0.5 with gradients on); its AVX2 kernels agree with libtorch's own LSTM and with the fused step to
/// float rounding. <c>ONEDNN_MAX_CPU_ISA=AVX2</c> keeps it to those, so evaluation, distillation targets, reports and
/// served forecasts compute the network that was trained, on every x86 processor.</para>
/// </summary>
internal static class NumericalReproducibility
{
    public static readonly IReadOnlyList<(string Variable, string Value)> Settings =
        [("MKL_CBWR", "AUTO,STRICT"), ("ONEDNN_MAX_CPU_ISA", "AVX2")];

#pragma warning disable CA2255 // a library module initializer: it must run before any torch call of the process
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        foreach (var (variable, value) in Settings)
        {
            if (Environment.GetEnvironmentVariable(variable) is not null) continue;
            // The libraries read the native environment: on Unix, Environment.SetEnvironmentVariable does not reach it.
            if (OperatingSystem.IsWindows()) Environment.SetEnvironmentVariable(variable, value);
            else
            {
                try { _ = setenv(variable, value, 0); }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
            }
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
