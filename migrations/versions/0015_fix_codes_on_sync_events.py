"""fix codes on sync events

A sync event says what fixes its cause (a code and the record concerned) instead of storing a web
address; the web layer builds the link. Stored addresses that name a known page become codes;
any other address is dropped (no link is better than a wrong one). A downgrade writes the
addresses of that time back.

Revision ID: 0015
Revises: 0516d603a5d5
Create Date: 2026-12-07 18:40:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0516d603a5d5'
branch_labels = None
depends_on = None

FIX_CODES = ('connect', 'import_lists', 'set_defaults', 'add_exchange_rate', 'map_list',
             'edit_record', 'renumber_invoice', 'link_existing')

# The pages as they were when addresses were stored (frozen here: later routes may differ).
SETTINGS = '/admin/qbo/settings'
PAGES = {'connect': '/admin/qbo/', 'import_lists': '/admin/qbo/import/',
         'set_defaults': f'{SETTINGS}/defaults', 'add_exchange_rate': f'{SETTINGS}/rates'}
LIST_SLUGS = {'billing_code': 'billing-codes', 'payment_term': 'payment-terms',
              'txn_class': 'classes', 'tax_code': 'tax-codes', 'account': 'accounts',
              'payment_method': 'payment-methods'}
RECORD_PAGES = {'client': '/clients/', 'organization': '/organizations/',
                'associate': '/admin/associates/', 'invoice': '/invoices/',
                'purchase_order': '/purchase-orders/', 'hours': '/my/hours/',
                'expense': '/my/expenses/', 'mileage': '/my/mileage/'}
PARTIES = ('client', 'organization', 'associate')

Fix = tuple[str, str | None, int | None]


def fix_for(url: str) -> Fix | None:
    """The fix a stored address pointed at, or None when it is not one Ledgerhub made."""
    for code, page in PAGES.items():
        if url == page:
            return code, None, None
    if url == f'{SETTINGS}/mappings':
        return 'map_list', None, None
    if url.startswith(f'{SETTINGS}/mappings#'):
        slug = url.split('#', 1)[1]
        kind = next((k for k, s in LIST_SLUGS.items() if s == slug), None)
        return ('map_list', kind, None) if kind else None
    if m := re.fullmatch(r'/admin/qbo/match/([a-z_]+)/(\d+)', url):
        return ('link_existing', m[1], int(m[2])) if m[1] in PARTIES else None
    if m := re.fullmatch(r'/invoices/(\d+)#number', url):
        return 'renumber_invoice', 'invoice', int(m[1])
    if m := re.fullmatch(r'/lists/([a-z-]+)/(\d+)', url):
        kind = next((k for k, s in LIST_SLUGS.items() if s == m[1]), None)
        return ('edit_record', kind, int(m[2])) if kind else None
    for entity_type, prefix in RECORD_PAGES.items():
        if m := re.fullmatch(re.escape(prefix) + r'(\d+)', url):
            return 'edit_record', entity_type, int(m[1])
    return None


def url_for_fix(code: str, entity_type: str | None, local_id: int | None) -> str | None:
    """The address a fix had before codes (for a downgrade)."""
    if code in PAGES:
        return PAGES[code]
    if code == 'map_list':
        slug = LIST_SLUGS.get(entity_type or '')
        return f'{SETTINGS}/mappings' + (f'#{slug}' if slug else '')
    if local_id is None or entity_type is None:
        return None
    if code == 'link_existing':
        return f'/admin/qbo/match/{entity_type}/{local_id}'
    if code == 'renumber_invoice':
        return f'/invoices/{local_id}#number'
    if entity_type in LIST_SLUGS:
        return f'/lists/{LIST_SLUGS[entity_type]}/{local_id}'
    prefix = RECORD_PAGES.get(entity_type)
    return f'{prefix}{local_id}' if prefix else None


events = sa.table('sync_events', sa.column('id', sa.Integer),
                  sa.column('fix_url', sa.String), sa.column('fix_code', sa.String),
                  sa.column('fix_entity_type', sa.String), sa.column('fix_local_id', sa.Integer))


def upgrade() -> None:
    with op.batch_alter_table('sync_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fix_code', sa.Enum(*FIX_CODES, name='fixcode',
                                                          native_enum=False, length=30),
                                      nullable=True))
        batch_op.add_column(sa.Column('fix_entity_type', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('fix_local_id', sa.Integer(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(events.c.id, events.c.fix_url)
                        .where(events.c.fix_url.is_not(None))).all()
    updates = [{'event_id': event_id, 'code': fix[0], 'kind': fix[1], 'record': fix[2]}
               for event_id, url in rows if (fix := fix_for(url)) is not None]
    if updates:
        bind.execute(events.update().where(events.c.id == sa.bindparam('event_id')).values(
            fix_code=sa.bindparam('code'), fix_entity_type=sa.bindparam('kind'),
            fix_local_id=sa.bindparam('record')), updates)
    with op.batch_alter_table('sync_events', schema=None) as batch_op:
        batch_op.drop_column('fix_url')


def downgrade() -> None:
    with op.batch_alter_table('sync_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fix_url', sa.String(length=255), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(events.c.id, events.c.fix_code, events.c.fix_entity_type,
                                  events.c.fix_local_id)
                        .where(events.c.fix_code.is_not(None))).all()
    updates = [{'event_id': event_id, 'url': url}
               for event_id, code, kind, record in rows
               if (url := url_for_fix(code, kind, record)) is not None]
    if updates:
        bind.execute(events.update().where(events.c.id == sa.bindparam('event_id'))
                     .values(fix_url=sa.bindparam('url')), updates)
    with op.batch_alter_table('sync_events', schema=None) as batch_op:
        batch_op.drop_column('fix_local_id')
        batch_op.drop_column('fix_entity_type')
        batch_op.drop_column('fix_code')
