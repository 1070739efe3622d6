using Distillery;
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

// Read at start-up: a setting the app cannot honour stops it here, with one line naming the setting.
DistilleryOptions appOptions;
try { appOptions = DistilleryOptions.From(builder.Configuration); }
catch (InvalidInputException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
builder.Services.AddSingleton(appOptions);
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
