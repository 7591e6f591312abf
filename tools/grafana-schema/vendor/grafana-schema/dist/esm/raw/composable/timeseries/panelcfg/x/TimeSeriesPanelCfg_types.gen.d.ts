import * as common from '@grafana/schema';
export declare const pluginVersion = "10.4.7";
export interface Options extends common.OptionsWithTimezones {
    legend: common.VizLegendOptions;
    tooltip: common.VizTooltipOptions;
}
export interface FieldConfig extends common.GraphFieldConfig {
}
