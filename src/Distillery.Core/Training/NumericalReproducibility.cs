using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Distillery.Training;

/// <summary>
/// MKL (inside libtorch) may return different last bits for the same inputs depending on the memory alignment of the
/// data, so a run resumed in another process, or a job run next to others, could drift from an uninterrupted run.
/// Its conditional numerical reproducibility mode removes that: <c>MKL_CBWR=AUTO,STRICT</c> (same CPU and thread
/// count → same bits). Set before MKL first reads it, when this assembly loads; an explicit setting in the environment
/// wins.
/// </summary>
internal static class NumericalReproducibility
{
    public const string Variable = "MKL_CBWR", Mode = "AUTO,STRICT";

#pragma warning disable CA2255 // a library module initializer: it must run before any torch call of the process
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not null) return;
        // MKL reads the native environment: on Unix, Environment.SetEnvironmentVariable does not reach it.
        if (OperatingSystem.IsWindows()) Environment.SetEnvironmentVariable(Variable, Mode);
        else
        {
            try { _ = setenv(Variable, Mode, 0); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
