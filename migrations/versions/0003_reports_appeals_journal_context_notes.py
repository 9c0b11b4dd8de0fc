"""reports, appeals, journal, context notes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 04:26:15.268771
"""

from alembic import op
import sqlalchemy as sa
import forum.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('public', sa.JSON(), nullable=False),
    sa.Column('private', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hash'),
    sa.UniqueConstraint('seq')
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_kind'), ['kind'], unique=False)

    op.create_table('context_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('by_moderator', sa.Boolean(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('shown', 'proposed', 'withdrawn', name='note_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('context_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_context_notes_post_id'), ['post_id'], unique=False)

    op.create_table('note_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['note_id'], ['context_notes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('note_id', 'member_id', name='uq_note_ratings_note_member')
    )
    with op.batch_alter_table('note_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_ratings_note_id'), ['note_id'], unique=False)

    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('review_item_id', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['review_item_id'], ['review_items.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id', 'reporter_id', name='uq_reports_post_reporter')
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_review_item_id'), ['review_item_id'], unique=False)

    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('appellant_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('open', 'upheld', 'overturned', name='appeal_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', forum.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['appellant_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('decision_id')
    )
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_threshold', sa.Integer(), nullable=False, server_default='3'))

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspend_days', sa.Integer(), nullable=True))

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_until', forum.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('notify_pref', sa.Enum('each', 'digest', 'none', name='notify_pref', native_enum=False, create_constraint=True, length=20), nullable=False, server_default='each'))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emailed_at', forum.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('masked_at', forum.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('federation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_review_items_federation_id', 'federations', ['federation_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_constraint('fk_review_items_federation_id', type_='foreignkey')
        batch_op.drop_column('federation_id')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('masked_at')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('emailed_at')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint('notify_pref', type_='check')
        batch_op.drop_column('notify_pref')
        batch_op.drop_column('suspended_until')

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('suspend_days')

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('report_threshold')

    op.drop_table('appeals')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_review_item_id'))
        batch_op.drop_index(batch_op.f('ix_reports_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_reports_post_id'))

    op.drop_table('reports')
    with op.batch_alter_table('note_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_ratings_note_id'))

    op.drop_table('note_ratings')
    with op.batch_alter_table('context_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_context_notes_post_id'))

    op.drop_table('context_notes')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_kind'))

    op.drop_table('audit_entries')
