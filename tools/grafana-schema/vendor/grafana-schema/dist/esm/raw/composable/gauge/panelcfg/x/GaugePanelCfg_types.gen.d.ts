import * as common from '@grafana/schema';
export declare const pluginVersion = "10.4.7";
export interface Options extends common.SingleStatBaseOptions {
    minVizHeight: number;
    minVizWidth: number;
    showThresholdLabels: boolean;
    showThresholdMarkers: boolean;
    sizing: common.BarGaugeSizing;
}
export declare const defaultOptions: Partial<Options>;
