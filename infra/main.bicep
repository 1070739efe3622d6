targetScope = 'subscription'

metadata description = 'Distillery: a Durable Functions app on Flex Consumption with identity-only access to storage and Application Insights (azd template).'

// ---------------------------------------------------------------------------------------------
// azd conventions
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; part of the resource group name and of the seed of every resource name.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object ID of the deploying user or service principal. When set, it gets the same data roles as the app so local runs can use the Azure storage account. Leave empty to skip.')
param principalId string = ''

@description('Kind of principalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Resource group name; empty means rg-<environmentName>.')
param resourceGroupName string = ''

// ---------------------------------------------------------------------------------------------
// Hosting
// ---------------------------------------------------------------------------------------------

@description('Most instances the Flex Consumption app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 10

@description('Always-ready instances of the durable group (orchestrators, activities, entities). Microsoft recommends 1 for Durable Functions on Flex Consumption: a run starts without a cold start and the task hub is polled while idle. 0 lets the app scale to zero (no baseline cost).')
@minValue(0)
@maxValue(1000)
param durableAlwaysReady int = 1

@description('Memory of each instance in MB. Training needs 4096.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 4096

@description('When true, Application Insights accepts only Entra ID authenticated telemetry. Leave false unless the worker also sends telemetry with a token credential.')
param appInsightsDisableLocalAuth bool = false

// ---------------------------------------------------------------------------------------------
// App settings (mirror src/Distillery.Functions/local.settings.sample.json)
// ---------------------------------------------------------------------------------------------

@description('DURABLE_TASK_HUB: name of the Durable Functions task hub (letters and digits, starts with a letter, 3-45 characters).')
@minLength(3)
@maxLength(45)
param durableTaskHub string = 'DistilleryHub'

@description('ARTIFACTS_CONTAINER: blob container for runs/, datasets/ and state/.')
@minLength(3)
@maxLength(63)
param artifactsContainer string = 'distillery'

@description('RETRAIN_SCHEDULE: NCRONTAB expression (six fields, with seconds) of the retraining timer, in UTC.')
param retrainSchedule string = '0 0 3 * * *'

@description('WATCHED_DATASETS: comma-separated datasets the retraining timer watches.')
param watchedDatasets string = 'location:US_FL'

@description('DATA_URL_ALLOWLIST: comma-separated hosts a dataset URL may point to.')
param dataUrlAllowlist string = 'storage.googleapis.com'

@description('CHAMPION_TOLERANCE: relative margin within which a challenger does not replace the champion.')
param championTolerance string = '0.05'

@description('MAX_UPLOAD_BYTES: largest accepted dataset upload in bytes.')
param maxUploadBytes string = '67108864'

@description('FORECASTER_CACHE_CAPACITY: models kept loaded for predictions; the least recently used is freed.')
param forecasterCacheCapacity string = '8'

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

var functionAppName = '${abbrs.webSitesFunctions}distillery-${resourceToken}'
var deploymentContainerName = 'deployments'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}distillery-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    disableLocalAuth: appInsightsDisableLocalAuth
  }
}

module storage 'core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    containerNames: [
      deploymentContainerName
      artifactsContainer
    ]
  }
}

module plan 'core/host/flex-consumption-plan.bicep' = {
  name: 'plan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
  }
}

module appRoles 'app/rbac.bicep' = {
  name: 'app-roles'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    principalType: 'ServicePrincipal'
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module userRoles 'app/rbac.bicep' = if (!empty(principalId)) {
  name: 'user-roles'
  scope: rg
  params: {
    principalId: principalId
    principalType: principalType
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    serviceName: 'api'
    appServicePlanId: plan.outputs.id
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    runtimeName: 'dotnet-isolated'
    runtimeVersion: '10.0'
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    durableAlwaysReady: durableAlwaysReady
    appSettings: {
      DURABLE_TASK_HUB: durableTaskHub
      ARTIFACTS_CONTAINER: artifactsContainer
      RETRAIN_SCHEDULE: retrainSchedule
      WATCHED_DATASETS: watchedDatasets
      DATA_URL_ALLOWLIST: dataUrlAllowlist
      CHAMPION_TOLERANCE: championTolerance
      MAX_UPLOAD_BYTES: maxUploadBytes
      FORECASTER_CACHE_CAPACITY: forecasterCacheCapacity
    }
  }
  // The host starts with its identity: let the role assignments exist first.
  dependsOn: [
    appRoles
  ]
}

// ---------------------------------------------------------------------------------------------
// Outputs (azd stores them in .azure/<env>/.env)
// ---------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_FUNCTION_APP_URL string = api.outputs.uri
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
output AZURE_STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString
output DURABLE_TASK_HUB string = durableTaskHub
output ARTIFACTS_CONTAINER string = artifactsContainer
