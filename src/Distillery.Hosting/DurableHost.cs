using System.Net;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Distillery.Hosting;

public sealed record DurableHostOptions
{
    public required DurableBackend Backend { get; init; }

    /// <summary>The orchestrators and activities this process runs (not needed with <see cref="Dispatch"/> off).</summary>
    public Action<DurableTaskRegistry> Tasks { get; init; } = _ => { };

    /// <summary>Services the tasks need.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Activities run at once in this process.</summary>
    public int Parallel { get; init; } = Environment.ProcessorCount;

    /// <summary>false: a client only (schedule, query), taking no work from the backend.</summary>
    public bool Dispatch { get; init; } = true;

    /// <summary>Durable Task's own logs (default: none; DISTILLERY_DURABLE_LOG=Information shows them on stderr).</summary>
    public ILoggerFactory? Loggers { get; init; }
}

/// <summary>
/// One worker process of a durable backend: Durable Task's gRPC sidecar (TaskHubGrpcServer, on a loopback port)
/// over the backend's orchestration service, the .NET worker that runs this app's class-based orchestrators and
/// activities, and a client. The sidecar takes any <see cref="IOrchestrationService"/>: the in-memory one, or the
/// Azure Storage provider that Durable Functions runs on — so the CLI, its workers and the tests run the same
/// orchestration code on the same backend as Azure. One sidecar per process: it accepts one worker connection.
/// </summary>
public sealed class DurableHost : IAsyncDisposable
{
    private readonly WebApplication sidecar;
    private readonly GrpcChannel channel;
    private readonly IHost clientHost;
    private bool stopped;

    private DurableHost(WebApplication sidecar, GrpcChannel channel, IHost clientHost,
        WorkerOrchestrationService? worker, DurableBackend backend)
    {
        this.sidecar = sidecar;
        this.channel = channel;
        this.clientHost = clientHost;
        Worker = worker;
        Backend = backend;
    }

    public DurableBackend Backend { get; }
    public DurableTaskClient Client => clientHost.Services.GetRequiredService<DurableTaskClient>();
    public IServiceProvider Services => clientHost.Services;

    /// <summary>This process's share of the work (null for a client only).</summary>
    public WorkerOrchestrationService? Worker { get; }

    public static async Task<DurableHost> StartAsync(DurableHostOptions options, CancellationToken ct = default)
    {
        var parallel = Math.Max(1, options.Parallel);
        var loggers = options.Loggers ?? DefaultLoggers();
        var (service, client) = options.Backend.Create(parallel, loggers);
        await service.CreateIfNotExistsAsync().WaitAsync(ct);
        var worker = options.Dispatch
            ? new WorkerOrchestrationService(service, parallel, RenewInterval(options.Backend))
            : null;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddSingleton<IHostLifetime, OwnerControlledLifetime>();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<IOrchestrationService>(worker ?? service);
        builder.Services.AddSingleton<IOrchestrationServiceClient>(new FailureDetailsClient(client));
        builder.Services.Configure<TaskHubGrpcServerOptions>(o =>
            o.Mode = options.Dispatch ? TaskHubGrpcServerMode.ApiServerAndDispatcher : TaskHubGrpcServerMode.ApiServerOnly);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        var sidecar = builder.Build();
        sidecar.MapGrpcService<TaskHubGrpcServer>();
        await sidecar.StartAsync(ct);
        var address = sidecar.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var channel = GrpcChannel.ForAddress(address);

        var hostBuilder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        hostBuilder.Services.AddSingleton<IHostLifetime, OwnerControlledLifetime>();
        hostBuilder.Services.AddLogging();
        hostBuilder.Services.AddSingleton(loggers); // after AddLogging: the last registration wins
        options.ConfigureServices?.Invoke(hostBuilder.Services);
        if (options.Dispatch)
        {
            hostBuilder.Services.AddDurableTaskWorker(b =>
            {
                b.UseGrpc(channel);
                b.AddTasks(options.Tasks);
            });
            hostBuilder.Services.ConfigureAll<DurableTaskWorkerOptions>(o =>
            {
                o.Concurrency.MaximumConcurrentActivityWorkItems = parallel;
                o.Concurrency.MaximumConcurrentOrchestrationWorkItems = Math.Max(parallel, 4);
            });
        }
        hostBuilder.Services.AddDurableTaskClient(b =>
        {
            b.UseGrpc(channel);
            b.RegisterDirectly();
        });
        var clientHost = hostBuilder.Build();
        await clientHost.StartAsync(ct);
        return new DurableHost(sidecar, channel, clientHost, worker, options.Backend);
    }

    /// <summary>Running work is renewed well before its lock runs out.</summary>
    private static TimeSpan RenewInterval(DurableBackend backend) => backend is DurableBackend.AzureStorage azure
        ? azure.Takeover / 3
        : TimeSpan.FromMinutes(1);

    private static ILoggerFactory DefaultLoggers() =>
        Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("DISTILLERY_DURABLE_LOG"), ignoreCase: true, out var level)
            ? LoggerFactory.Create(b =>
            {
                b.SetMinimumLevel(level).AddSimpleConsole(o => o.SingleLine = true);
                b.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout is the CLI's
            })
            : NullLoggerFactory.Instance;

    /// <summary>
    /// Leaves the backend: takes no new work, lets running work finish for up to <paramref name="grace"/>, abandons
    /// what is left (another worker takes it at once) and releases this process's partitions. Returns the number of
    /// activities abandoned.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (stopped) return 0;
        stopped = true;
        var abandoned = Worker is null ? 0 : await Worker.DrainAsync(grace);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try { await clientHost.StopAsync(timeout.Token); } catch (OperationCanceledException) { }
        }
        clientHost.Dispose();
        await channel.ShutdownAsync();
        channel.Dispose();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try { await sidecar.StopAsync(timeout.Token); } catch (OperationCanceledException) { }
        }
        await sidecar.DisposeAsync();
        // The sidecar stops its dispatchers in the background; release the partition leases now, so that other
        // workers need not wait for them to expire.
        if (Worker is not null) await Worker.StopAsync(isForced: abandoned > 0);
        return abandoned;
    }

    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(30));
}

/// <summary>The process, not the host, decides when to stop: no console lifetime catching SIGTERM and Ctrl+C (a
/// worker drains on them, see <see cref="DurableHost.StopAsync"/>).</summary>
internal sealed class OwnerControlledLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
