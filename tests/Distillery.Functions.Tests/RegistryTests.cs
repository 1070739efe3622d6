using System.Reflection;
using Distillery.Functions;
using Distillery.Workflow;
using Microsoft.DurableTask;

namespace Distillery.Tests.Functions;

/// <summary>The two hosts of the workflow must agree: Azure runs the Functions app's durable functions, the CLI and
/// the Workflow tests run the Workflow registry (DistilleryTasks).</summary>
public class RegistryTests
{
    private static string Describe(string kind, string name, Type? input, Type output) => $"{kind} {name}({input?.FullName}) -> {output.FullName}";

    private static Type[] ArgumentsOf(Type type, Type openBase)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == openBase) return t.GetGenericArguments();
        throw new InvalidOperationException($"{type.Name} is not a {openBase.Name}");
    }

    private static IEnumerable<string> Workflow(string kind, IEnumerable<Type> types, Type openBase) => types.Select(type =>
    {
        var args = ArgumentsOf(type, openBase);
        // The registry names a task as DurableTaskRegistry does: [DurableTask] name, else the type's name.
        var name = type.GetCustomAttribute<DurableTaskAttribute>()?.Name.Name ?? type.Name;
        return Describe(kind, name, args[0], args[1]);
    });

    [Fact]
    public void The_functions_app_and_the_workflow_registry_name_the_same_tasks_with_the_same_types()
    {
        var workflow = Workflow("orchestrator", DistilleryTasks.Orchestrators, typeof(TaskOrchestrator<,>))
            .Concat(Workflow("activity", DistilleryTasks.Activities, typeof(TaskActivity<,>)))
            .Order(StringComparer.Ordinal).ToList();
        var functions = FunctionsTasks.Discover(typeof(WorkflowFunctions).Assembly)
            .Select(t => Describe(t.Kind == FunctionTaskKind.Orchestrator ? "orchestrator" : "activity", t.Name, t.Input, t.Output))
            .Order(StringComparer.Ordinal).ToList();

        Assert.Equal(8, workflow.Count);
        Assert.Equal(workflow, functions);
    }
}
