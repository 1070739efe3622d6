metadata description = 'An App Service plan on the Flex Consumption (FC1) SKU for Linux function apps.'

@description('Name of the plan.')
param name string

@description('Azure region.')
param location string

@description('Tags to apply.')
param tags object = {}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

output id string = plan.id
output name string = plan.name
