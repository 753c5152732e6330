/**
 * The demo shop's catalogue. It lives on the server because the price is the merchant's to decide: in
 * signed mode the dev-only order-token route signs the price found here, never one the browser sent.
 */
export interface DemoItem {
  id: string;
  name: string;
  blurb: string;
  /** Minor units. */
  amount: number;
  currency: string;
  /** Badge colour: the page draws a lettered badge, so it needs no image or emoji font. */
  colour: string;
}

export const DEMO_ITEMS: readonly DemoItem[] = [
  {
    id: 'mug',
    name: 'Bollard mug',
    blurb: 'Stoneware, 350 ml, keeps coffee at the edge.',
    amount: 1200,
    currency: 'GBP',
    colour: '#8a5a44',
  },
  {
    id: 'hoodie',
    name: 'Edge hoodie',
    blurb: 'Heavy cotton, embroidered bollard.',
    amount: 4500,
    currency: 'GBP',
    colour: '#2f5d8a',
  },
  {
    id: 'stickers',
    name: 'Sticker pack',
    blurb: 'Six vinyl stickers for your laptop.',
    amount: 350,
    currency: 'GBP',
    colour: '#b0620e',
  },
];

export function demoItem(id: unknown): DemoItem | undefined {
  return DEMO_ITEMS.find((i) => i.id === id);
}
