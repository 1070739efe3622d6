using System.CommandLine;
using System.Runtime.InteropServices;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Hosting;

namespace Distillery.Cli;

/// <summary>
/// <c>distillery worker --connection C [--task-hub H] [--parallel N]</c>: joins the task hub and runs its
/// orchestrations and activities until stopped. SIGINT/SIGTERM: takes no new work, lets running work finish within
/// <c>--grace</c>, then abandons the rest, which another worker takes over at once.
/// </summary>
public static class WorkerCommand
{
    public static Command Create(CliOptions o, DataSourceOptions dataOptions, TextWriter stdout, TextWriter stderr, Func<TextWriter, Func<Task<int>>, Task<int>> guard)
    {
        var grace = new Option<int>("--grace") { Description = "Seconds running work may take to finish after SIGINT/SIGTERM.", DefaultValueFactory = _ => 60 };
        var command = new Command("worker", "Join an Azure Storage task hub and run its experiments' work until stopped.");
        foreach (var option in new Option[] { o.Connection, o.TaskHub, o.Parallel, o.Container, o.Takeover, grace }) command.Options.Add(option);
        command.SetAction((result, token) => guard(stderr, () => RunAsync(o, result, dataOptions, result.GetValue(grace), stdout, token)));
        return command;
    }

    private static async Task<int> RunAsync(CliOptions o, ParseResult result, DataSourceOptions dataOptions, int graceSeconds, TextWriter stdout, CancellationToken stop)
    {
        if (result.GetValue(o.Connection) is null) throw new InvalidInputException("worker needs --connection (the Azure Storage account of the task hub)");
        var parallel = result.GetValue(o.Parallel);
        if (parallel < 1) throw new InvalidInputException($"--parallel must be ≥ 1, got {parallel}");
        if (graceSeconds < 0) throw new InvalidInputException($"--grace must be ≥ 0 seconds, got {graceSeconds}");
        var backend = o.Backend(result);
        // Never cancelled by the signal itself: the worker's own shutdown below decides what happens to running work.
        var store = await StoreFactory.CreateAsync(".", result.GetValue(o.Connection), result.GetValue(o.Container)!, CancellationToken.None);
        var host = await ExperimentHost.StartAsync(store, dataOptions, parallel, new PlainProgress(stdout), backend: backend);
        stdout.WriteLine($"worker {WorkerIdentity.Current} joined {backend.Describe()} ({parallel} at once); stop with Ctrl+C or SIGTERM");
        using var signalled = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Drain);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Drain);
        try { await Task.Delay(Timeout.Infinite, signalled.Token); }
        catch (OperationCanceledException) { }
        stdout.WriteLine($"worker {WorkerIdentity.Current} stopping: no new work; {host.Durable.Worker!.InFlight} running, up to {graceSeconds} s to finish");
        var abandoned = await host.Durable.StopAsync(TimeSpan.FromSeconds(graceSeconds));
        if (abandoned == 0)
        {
            stdout.WriteLine($"worker {WorkerIdentity.Current} stopped");
            return DistilleryCli.Ok;
        }
        stdout.WriteLine($"worker {WorkerIdentity.Current} stopped: {abandoned} unfinished job(s) handed back to the task hub");
        stdout.Flush();
        // The handed-back jobs still train on their threads: a normal exit would run libtorch's static destructors
        // under them (SIGSEGV). Everything that matters is in the task hub by now, so leave at once.
        Native.Exit(DistilleryCli.Ok);
        return DistilleryCli.Ok;

        void Drain(PosixSignalContext context)
        {
            context.Cancel = true; // not the runtime's default exit: drain first
            signalled.Cancel();
        }
    }

    private static class Native
    {
        [DllImport("libc", EntryPoint = "_exit")]
        public static extern void Exit(int status);
    }
}
