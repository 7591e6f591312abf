import * as common from '@grafana/schema';
export declare const pluginVersion = "10.4.7";
export interface Options extends common.SingleStatBaseOptions {
    colorMode: common.BigValueColorMode;
    graphMode: common.BigValueGraphMode;
    justifyMode: common.BigValueJustifyMode;
    showPercentChange: boolean;
    textMode: common.BigValueTextMode;
    wideLayout: boolean;
}
export declare const defaultOptions: Partial<Options>;
