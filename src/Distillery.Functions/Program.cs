using Distillery.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// `dotnet Distillery.Functions.dll --self-test`: load TorchSharp, run the models once, exit (see SelfTest.cs).
if (args.Contains("--self-test")) return SelfTest.Run(Console.Out);

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddDistillery();
builder.Build().Run();
return 0;
