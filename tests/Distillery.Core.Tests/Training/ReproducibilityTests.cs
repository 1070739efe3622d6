using System.Runtime.InteropServices;
using Distillery.Experiments;

namespace Distillery.Tests.Training;

public class ReproducibilityTests
{
    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [Fact]
    public void Mkl_runs_in_its_reproducible_mode_whatever_the_memory_alignment()
    {
        _ = RunIds.IsValid("x"); // the core assembly is loaded: its initializer has run
        var value = Marshal.PtrToStringUTF8(GetEnv("MKL_CBWR"));
        Assert.Equal(Environment.GetEnvironmentVariable("MKL_CBWR") ?? "AUTO,STRICT", value);
    }
}
