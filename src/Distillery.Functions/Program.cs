using Distillery.Data;
using Distillery.Experiments;
using Distillery.Functions;
using Distillery.Storage;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Distillery.Workflow;
using Distillery.Functions.Http;

// `dotnet Distillery.Functions.dll --self-test`: load TorchSharp, run the models once, exit (see SelfTest.cs).
if (args.Contains("--self-test")) return SelfTest.Run(Console.Out);

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

builder.Services.AddSingleton(sp => DistilleryOptions.From(sp.GetRequiredService<IConfiguration>()));
builder.Services.AddSingleton<IArtifactStore>(sp =>
{
    var store = ArtifactStoreFactory.Create(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<DistilleryOptions>().ArtifactsContainer);
    store.EnsureContainerAsync().GetAwaiter().GetResult();
    return store;
});
builder.Services.AddSingleton(sp =>
{
    var options = sp.GetRequiredService<DistilleryOptions>();
    return new ExperimentSteps(sp.GetRequiredService<IArtifactStore>(),
        new DataSourceOptions { AllowedHosts = options.UrlAllowList, MaxBytes = options.MaxUploadBytes });
});

builder.Services.AddSingleton(sp =>
{
    var options = sp.GetRequiredService<DistilleryOptions>();
    return new DatasetWatcher(sp.GetRequiredService<IArtifactStore>(),
        new DataSourceOptions { AllowedHosts = options.UrlAllowList, MaxBytes = options.MaxUploadBytes },
        options.RetrainSettings, options.ChampionTolerance, sp.GetRequiredService<ILoggerFactory>().CreateLogger<DatasetWatcher>());
});
builder.Services.AddSingleton(sp => new Distillery.Serving.ForecasterCache(sp.GetRequiredService<IArtifactStore>(),
    sp.GetRequiredService<DistilleryOptions>().ForecasterCacheCapacity));

builder.Build().Run();
return 0;
